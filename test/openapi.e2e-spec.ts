import { afterAll, beforeAll, describe, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { readFile } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import request from 'supertest';
import { createTestApp } from './support/app.js';

/** Where two JSON values differ, as JSON Pointers (RFC 6901), e.g. `/paths/~1todos/post`. */
function differences(expected: unknown, actual: unknown, pointer = ''): string[] {
  if (isDeepStrictEqual(expected, actual)) return [];
  const bothObjects = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
  if (bothObjects(expected) && bothObjects(actual) && Array.isArray(expected) === Array.isArray(actual)) {
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    return [...keys].flatMap((key) =>
      differences(expected[key], actual[key], `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`),
    );
  }
  return [pointer || '/'];
}

describe('OpenAPI document', () => {
  let app: NestFastifyApplication;
  let live: Record<string, unknown>;
  beforeAll(async () => {
    app = await createTestApp();
    live = (await request(app.getHttpServer()).get('/docs-json').expect(200)).body;
  });
  afterAll(async () => {
    await app.close();
  });

  it('is the one checked in as docs/openapi.json', async () => {
    const checkedIn: unknown = JSON.parse(await readFile(new URL('../docs/openapi.json', import.meta.url), 'utf8'));
    const differing = differences(checkedIn, live);
    if (differing.length > 0) {
      throw new Error(
        `docs/openapi.json is not the document the service serves at /docs-json; run npm run docs:openapi and commit it.\n` +
          `It differs at ${differing.length} place(s): ${differing.slice(0, 20).join(', ')}`,
      );
    }
  });
});
