/**
 * Text from outside made safe for one line of a log, report, event or error message. Here, at
 * the bottom of the layers, so that validation messages quoting what they were sent (an unknown
 * key) are bounded the same way as everything else.
 */

/**
 * Control characters and invisible format characters (zero-width spaces and joiners, the soft
 * hyphen, the bidirectional overrides that make a log line read differently, byte-order marks).
 */
const UNPRINTABLE = /[\p{Cc}\p{Cf}]+/gu;
/**
 * The invisible characters that join rather than separate (the soft hyphen, the zero-width
 * joiner and non-joiner, the word joiner): dropped, not made spaces, so that a German compound, a
 * Persian word or a family emoji still reads as one.
 */
const JOINERS = /\u00ad|\u200c|\u200d|\u2060/g;

/**
 * Free text as one line, however long: joiners dropped, other control and format characters
 * (bidi overrides among them) made spaces, runs of white space one space.
 */
export function oneLine(text: string): string {
  return text.replace(JOINERS, '').replace(UNPRINTABLE, ' ').replace(/\s+/g, ' ').trim();
}

/** Free text made safe for one log line: {@link oneLine}, cut to `max` characters (with `…`). */
export function boundedText(text: string, max: number): string {
  const flat = oneLine(text);
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** Query-looking text, whether or not the query is known. */
const SQL_FRAGMENT = /\bselect\b[\s\S]{0,500}?\bfrom\b/i;

/** True when free text looks like it carries a query (`select … from`): it may hold customer data. */
export function looksLikeQuery(text: string): boolean {
  return SQL_FRAGMENT.test(text);
}
