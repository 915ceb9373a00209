/**
 * Characters that change how text around them is shown without being seen: bidirectional controls
 * (U+202A–202E, U+2066–2069, U+200E/200F, U+061C) can make a Slack header or an email subject read
 * backwards, zero-width ones (U+200B–200D, U+2060, U+FEFF, U+180E) hide inside names, and a lone UTF-16
 * surrogate cannot be encoded at all. Paired surrogates (emoji) are left alone.
 */
const INVISIBLE =
  /[\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `text` with every invisible or unencodable character replaced by a visible `<U+XXXX>`. */
export function visibleText(text: string): string {
  return text.replace(INVISIBLE, (c) => `<U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}>`);
}

/** A copy of `value` (plain objects, arrays, strings) with `visibleText` applied to every string in it. */
export function withVisibleText<T>(value: T): T {
  return mapStrings(value) as T;
}

function mapStrings(value: unknown): unknown {
  if (typeof value === 'string') return visibleText(value);
  if (Array.isArray(value)) return value.map(mapStrings);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v)]));
  }
  return value;
}
