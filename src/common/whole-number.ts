/**
 * Plain decimal digits become their number; anything else (`1.5`, `1e3`, ` 2`, `0x10`, `-1`, ``)
 * is undefined, so a caller refuses it instead of reading something the writer did not mean.
 * `maxDigits` bounds the text; the default 15 keeps every result an exact integer.
 */
export function parseWholeNumber(text: string, maxDigits = 15): number | undefined {
  return text.length <= maxDigits && /^\d+$/.test(text) ? Number(text) : undefined;
}
