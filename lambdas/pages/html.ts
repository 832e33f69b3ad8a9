// HTML building blocks for server-rendered pages: an escaper and a tagged template that escapes
// every interpolated value unless it is already `SafeHtml` (built by this module).

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escapes text for an element body or a double- or single-quoted attribute value. */
export const escapeHtml = (value: string): string => value.replace(/[&<>"'`]/g, (c) => ESCAPES[c]);

/** Markup that is safe to emit as is. Only `html`, `raw` and `join` make one. */
export class SafeHtml {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

/** Marks trusted, constant markup (never data) as safe. */
export const raw = (markup: string): SafeHtml => new SafeHtml(markup);

type Interpolation = SafeHtml | string | number | boolean | null | undefined | readonly Interpolation[];

const render = (value: Interpolation): string => {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
};

/**
 * html`<p title="${title}">${body}</p>`: every value is escaped unless it is SafeHtml; arrays are
 * joined; null, undefined and false render nothing. Attribute values must be quoted in the template.
 */
export const html = (strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml => {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new SafeHtml(out);
};

/**
 * JSON for a `<script type="application/json">` data block: `<`, `>`, `&` and the JS line
 * separators are \u-escaped so the data can never close the element or start a comment.
 */
export const jsonForScript = (data: unknown): SafeHtml =>
  new SafeHtml(JSON.stringify(data).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
