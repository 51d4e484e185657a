/**
 * Keeps what must not be printed out of everything that is: the client secret and access tokens
 * (in every encoding they travel in, since a server may echo the form body or the Basic header),
 * and query text (which can hold customer data, and which Zuora error messages may quote). And
 * bounds every string a server controls before it reaches an error, a log line or a report.
 */
import { boundedText, oneLine } from '../contract/text.ts';

/** What a withheld message is replaced with. */
export const WITHHELD = '[message withheld: it may quote query text]';

/** What a message that still holds a secret, disguised, is replaced with. */
export const SECRET_WITHHELD = '[message withheld: it may hold a secret]';

/** An HTML numeric character reference, in any case, padded or not (`&#233;`, `&#X00E9;`). */
const NUMERIC_REFERENCE = /&#(x[0-9a-f]{1,6}|[0-9]{1,7});/gi;
/** An HTML named character reference (`&eacute;`). */
const NAMED_REFERENCE = /&[a-z][a-z0-9]{1,31};/gi;
/** Anything but the printable ASCII characters. */
const NOT_PRINTABLE_ASCII = /[^!-~]/g;

/**
 * Text reduced to what survives any disguise, for the last check: numeric references decoded,
 * compatibility forms folded (full-width letters), named references dropped, one case, and only
 * printable ASCII kept (so no inserted or swapped white space, invisible character, mark or
 * look-alike blank is left). A secret found in it was disguised, not removed.
 */
function skeleton(text: string): string {
  return text
    .replace(NUMERIC_REFERENCE, (_reference, code: string) => {
      const point = /^x/i.test(code) ? Number.parseInt(code.slice(1), 16) : Number(code);
      return point <= 0x10ffff ? String.fromCodePoint(point) : '';
    })
    .normalize('NFKC')
    .replace(NAMED_REFERENCE, '')
    .toLowerCase()
    .replace(NOT_PRINTABLE_ASCII, '');
}

/** Shortest value registered as a secret: shorter ones would over-match. */
const MIN_SECRET_LENGTH = 6;
/** A message quotes a query when it shares a run of this many characters with one. */
const QUOTE_WINDOW = 24;
/** Query-looking text, whether or not we know the query. */
const SQL_FRAGMENT = /\bselect\b[\s\S]{0,500}?\bfrom\b/i;

/** What HTML escaping turns each character into (`&#39;` and `&#x27;` both occur for `'`). */
const HTML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
};

/**
 * Every form in which `value` can travel or be echoed: raw (both Unicode normal forms), percent
 * (as JavaScript, RFC 3986 and URL paths write it), form and JSON encoded, HTML-escaped, base64.
 */
function encodedForms(value: string): string[] {
  // Percent-encoding throws on a lone surrogate; a server would have replaced it the same way.
  const percent = encodeURIComponent(value.toWellFormed());
  const strictPercent = percent.replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  const html = (apostrophe: string) =>
    value.replace(/[&<>"']/g, (c) => (c === "'" ? apostrophe : (HTML_ENTITIES[c] ?? c)));
  // HTML that writes every non-ASCII character as a numeric reference (`&#233;`, `&#xe9;`).
  const numericHtml = (write: (code: number) => string) =>
    html('&#39;').replace(/[^\p{ASCII}]/gu, (c) => write(c.codePointAt(0) as number));
  const form = new URLSearchParams({ v: value }).toString().slice(2);
  const json = JSON.stringify(value).slice(1, -1);
  const lowerHex = (text: string) => text.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase());
  const unicodeEscaped = (text: string, upper: boolean) =>
    text.replace(/[\u0080-\uffff]/g, (c) => {
      const hex = c.charCodeAt(0).toString(16).padStart(4, '0');
      return `\\u${upper ? hex.toUpperCase() : hex}`;
    });
  const bytes = Buffer.from(value);
  const percentForms = [
    percent,
    strictPercent,
    percent.replaceAll('%2F', '/'),
    encodeURI(value.toWellFormed()),
  ];
  return [
    value,
    // As a log line would show it (see `scrub`): a secret with two spaces or a tab in it.
    oneLine(value),
    value.normalize('NFC'),
    value.normalize('NFD'),
    ...percentForms,
    ...percentForms.map(lowerHex),
    html('&#39;'),
    html('&#x27;'),
    numericHtml((code) => `&#${code};`),
    numericHtml((code) => `&#x${code.toString(16)};`),
    numericHtml((code) => `&#x${code.toString(16).toUpperCase()};`),
    form,
    lowerHex(form),
    json,
    json.replaceAll('/', '\\/'),
    unicodeEscaped(json, false),
    unicodeEscaped(json, true),
    bytes.toString('base64'),
    bytes.toString('base64').replace(/=+$/, ''),
    bytes.toString('base64url'),
  ];
}

/** Remembers a run's secrets and queries, and scrubs text of them. */
export class Redactor {
  /** Longest first, so that a form containing another is replaced whole. */
  #secrets: string[] = [];
  /** Each secret as {@link skeleton} reads it: the check for disguised ones. */
  readonly #skeletons = new Set<string>();
  readonly #queries = new Set<string>();

  /**
   * Registers a secret value. With `clientId`, also the HTTP Basic credentials it forms
   * (`base64(id:secret)`, raw and form-encoded, as RFC 6749 allows both).
   */
  addSecret(value: string | undefined, clientId?: string): void {
    if (!value || value.length < MIN_SECRET_LENGTH) return;
    const disguised = skeleton(value);
    if (disguised.length >= MIN_SECRET_LENGTH) this.#skeletons.add(disguised);
    const forms = encodedForms(value);
    if (clientId !== undefined) {
      for (const pair of [
        `${clientId}:${value}`,
        `${encodeURIComponent(clientId.toWellFormed())}:${encodeURIComponent(value.toWellFormed())}`,
      ]) {
        forms.push(Buffer.from(pair).toString('base64'));
      }
    }
    const all = new Set([...this.#secrets, ...forms.filter((f) => f.length >= MIN_SECRET_LENGTH)]);
    this.#secrets = [...all].sort((a, b) => b.length - a.length);
  }

  /** Registers a query text, so that messages quoting it are withheld. */
  addQuery(text: string | null | undefined): void {
    // The start of a long query is what a message would quote; the cut bounds the search.
    if (text && text.length >= QUOTE_WINDOW) this.#queries.add(text.slice(0, 20_000));
  }

  /** `text` with every form of every registered secret replaced by `[redacted]`. */
  redact = (text: string): string => {
    let result = text;
    for (const secret of this.#secrets) {
      if (result.includes(secret)) result = result.split(secret).join('[redacted]');
    }
    return result;
  };

  /**
   * Text from outside (a message, a header) made safe to print: secrets redacted, withheld if it
   * may quote a query, control characters removed, at most `max` characters.
   */
  scrub = (text: string, max = 300): string => {
    // Secrets are looked for in the text as sent, and again once it is one line: turning control
    // and invisible characters into spaces and collapsing white space can rebuild a secret that
    // a server sent with its space changed (a tab, a line break, a zero-width space, two spaces).
    const flat = this.redact(oneLine(this.redact(text)));
    // A secret still there is disguised (a character inserted or swapped for one that looks the
    // same, another case, HTML references): no form to replace, so the whole text is withheld.
    if (this.#skeletons.size > 0) {
      const seen = skeleton(flat);
      for (const secret of this.#skeletons) if (seen.includes(secret)) return SECRET_WITHHELD;
    }
    // Only what is printed matters, so the query check reads the bounded text.
    const bounded = boundedText(flat, max);
    return this.#quotesQuery(bounded) ? WITHHELD : bounded;
  };

  #quotesQuery(text: string): boolean {
    if (SQL_FRAGMENT.test(text)) return true;
    if (this.#queries.size === 0 || text.length < QUOTE_WINDOW) return false;
    for (let start = 0; start + QUOTE_WINDOW <= text.length; start++) {
      const window = text.slice(start, start + QUOTE_WINDOW);
      for (const query of this.#queries) if (query.includes(window)) return true;
    }
    return false;
  }
}

/** True when free text looks like it carries a query (`select … from`). */
export function looksLikeQuery(text: string): boolean {
  return SQL_FRAGMENT.test(text);
}
