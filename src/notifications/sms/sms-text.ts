/**
 * "One SMS" here is one unconcatenated message: 160 characters when the whole text can be sent in
 * GSM-7 (the GSM 03.38 basic set, where each extension-table character such as `€` or `{` takes
 * two of the 160 septets), otherwise 70 UTF-16 code units in UCS-2. Anything longer is split by
 * the carrier into parts of 153 / 67 and billed per part.
 */
export const GSM7_LIMIT = 160;
export const UCS2_LIMIT = 70;

const GSM7_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM7_EXTENSION = new Set('^{}\\[~]|€\f');

/** Septets `text` takes in GSM-7, or undefined when a character is outside it (the message goes as UCS-2). */
export function gsm7Length(text: string): number | undefined {
  let septets = 0;
  for (const char of text) {
    if (GSM7_BASIC.has(char)) septets += 1;
    else if (GSM7_EXTENSION.has(char)) septets += 2;
    else return undefined;
  }
  return septets;
}

/** Whether `text` goes as one SMS, in whichever encoding it needs. */
export function fitsOneSms(text: string): boolean {
  const septets = gsm7Length(text);
  return septets === undefined ? text.length <= UCS2_LIMIT : septets <= GSM7_LIMIT;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * `prefix` + `body`, with `body` cut at a grapheme boundary (never inside an emoji or a surrogate
 * pair) and marked with an ellipsis so the whole fits one SMS. The ellipsis is `...` when the cut
 * text is GSM-7 and `…` (one code unit) when it is UCS-2 anyway, so the marker never changes the encoding.
 */
export function fitToOneSms(prefix: string, body: string): string {
  const whole = prefix + body;
  if (fitsOneSms(whole)) return whole;
  const parts = [...graphemes.segment(body)].map((s) => s.segment);
  // Longest prefix of the body that fits with a marker; binary search over the grapheme count.
  let low = 0;
  let high = parts.length;
  const candidate = (count: number) => {
    const cut = prefix + parts.slice(0, count).join('');
    return gsm7Length(cut) === undefined ? `${cut}…` : `${cut}...`;
  };
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fitsOneSms(candidate(mid))) low = mid;
    else high = mid - 1;
  }
  return candidate(low);
}
