/** Markup that is already safe to send: what `html` returns, and the only thing it does not escape. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character]);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- templates interpolate text and numbers
  return escapeHtml(String(value));
}

/**
 * A tagged template for pages: every interpolated value is escaped (text and attribute values
 * alike, since quotes are escaped too) unless it is itself `Html`; arrays are joined; null,
 * undefined and false render nothing.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let text = strings[0];
  for (let i = 0; i < values.length; i++) text += render(values[i]) + strings[i + 1];
  return new Html(text);
}
