import { BadRequestException } from '@nestjs/common';

/** Deeper than any body of this API needs; far below what would exhaust the validator's recursion. */
export const MAX_JSON_DEPTH = 32;

function depthExceeds(value: unknown, limit: number): boolean {
  // Iterative, so the check itself cannot overflow the stack it protects.
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * The only body parser (API.md: all bodies are JSON). Refuses malformed JSON and JSON nested
 * deeper than MAX_JSON_DEPTH with a 400 before anything recursive touches it; an empty body is no body.
 */
export function parseJsonBody(body: string): unknown {
  if (body.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new BadRequestException('Body is not valid JSON');
  }
  if (depthExceeds(parsed, MAX_JSON_DEPTH)) throw new BadRequestException(`Body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  return parsed;
}
