/**
 * Keeps what must not be printed out of everything that is: the client secret and access tokens
 * (in every encoding they travel in, since a server may echo the form body or the Basic header),
 * and query text (which can hold customer data, and which Zuora error messages may quote). And
 * bounds every string a server controls before it reaches an error, a log line or a report.
 */
import { boundedText, looksLikeQuery, oneLine } from '../contract/text.ts';
import { QuoteIndex } from './quote-index.ts';

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

/** Bytes written as escapes, in runs: `%65%6D`, `\\x65\\x6d` (UTF-8, as a server escapes them). */
const BYTE_ESCAPES = /(?:%[0-9a-f]{2}|\\x[0-9a-f]{2})+/gi;
/** A character written as a `\\uXXXX` escape. */
const UNICODE_ESCAPE = /\\u([0-9a-f]{4})/gi;
/** Hex bytes written apart: `65:6d:75`, `65 6d 75`, `0x65, 0x6d, 0x75`. */
const SEPARATED_HEX = /(?:(?:0x)?[0-9a-f]{2}[\s:,;-]{1,3}){3,}(?:0x)?[0-9a-f]{2}/gi;

/**
 * Text with what escapes every byte or character decoded (`%65%6D`, `\\x65`, `\\u0065`) and hex
 * bytes written apart joined: a secret echoed so matches none of its forms, and its encoded
 * forms shrink to the secret, so the check reads both this and the text as it came.
 */
function unescaped(text: string): string {
  return text
    .replace(BYTE_ESCAPES, (run) => Buffer.from(run.replace(/%|\\x/gi, ''), 'hex').toString('utf8'))
    .replace(UNICODE_ESCAPE, (_escape, code: string) =>
      String.fromCharCode(Number.parseInt(code, 16)),
    )
    .replace(SEPARATED_HEX, (run) => run.replace(/0x|[\s:,;-]/gi, ''));
}

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

/**
 * Shortest value registered as a secret: shorter ones would over-match. A client secret shorter
 * than this is refused (see `credentials.ts`).
 */
export const MIN_SECRET_LENGTH = 6;
/**
 * A message that holds this many characters in a row of any form of a secret (read as
 * {@link skeleton} reads it) is withheld: a body cut at its size limit, or a value cut by a
 * server, leaves most of a secret that no whole form matches, and a long fragment leaves little
 * for brute force. Twelve characters of a secret do not turn up by chance. Of a longer form they
 * may stand for fewer (two characters as `\\uXXXX` escapes; the client id, in base64 of the Basic
 * pair): the check then withholds more than it must, never less.
 */
const FRAGMENT_LENGTH = 12;

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
    // Encoded twice, as a URL carried in another URL's query (a redirect's `Location`) has it.
    encodeURIComponent(percent),
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
    bytes.toString('hex'),
    // Base64 of a longer text that holds the value (a whole form body, `Bearer <token>`), at
    // each of the three offsets it can start at; raw, form- and percent-encoded, as bodies and
    // Basic credentials carry it.
    ...[value, form, percent].flatMap(embeddedBase64),
  ];
}

/**
 * The part of base64 that encodes `value` wherever it sits in a longer text: the characters
 * that depend only on the value's own bytes, for each of the three alignments (the characters
 * shared with the bytes before or after it depend on those, so they are left out).
 */
function embeddedBase64(value: string): string[] {
  const bytes = Buffer.from(value);
  return [0, 1, 2].map((offset) => {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes])
      .toString('base64')
      .replace(/=+$/, '');
    const start = Math.ceil((offset * 4) / 3);
    const end = (offset + bytes.length) % 3 === 0 ? encoded.length : encoded.length - 1;
    return encoded.slice(start, end);
  });
}

/** Every run of {@link FRAGMENT_LENGTH} characters in `text`. */
function fragments(text: string): string[] {
  return Array.from({ length: text.length - FRAGMENT_LENGTH + 1 }, (_, start) =>
    text.slice(start, start + FRAGMENT_LENGTH),
  );
}

/** Remembers a run's secrets and queries, and scrubs text of them. */
export class Redactor {
  /** Longest first, so that a form containing another is replaced whole. */
  #secrets: string[] = [];
  /** The values (with their client id) registered so far. */
  readonly #registered = new Set<string>();
  /**
   * Each form of each secret as {@link skeleton} reads it, in runs of {@link FRAGMENT_LENGTH}
   * characters (a shorter form whole): the check for disguised and partial ones.
   */
  readonly #fragments = new Set<string>();
  /** The shorter forms among {@link Redactor.#fragments}, looked for anywhere in a message. */
  readonly #shortSkeletons = new Set<string>();
  readonly #queries = new QuoteIndex();

  /**
   * Registers a secret value. With `clientId`, also the HTTP Basic credentials it forms
   * (`base64(id:secret)`, raw and form-encoded, as RFC 6749 allows both).
   */
  addSecret(value: string | undefined, clientId?: string): void {
    if (!value || value.length < MIN_SECRET_LENGTH) return;
    // The client registers its token before every request: only the first time costs.
    const key = `${clientId ?? ''}\u0000${value}`;
    if (this.#registered.has(key)) return;
    this.#registered.add(key);
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
    for (const form of forms.flatMap((each) => [each, unescaped(each)])) {
      const disguised = skeleton(form);
      if (disguised.length < MIN_SECRET_LENGTH) continue;
      if (disguised.length < FRAGMENT_LENGTH) this.#shortSkeletons.add(disguised);
      else for (const fragment of fragments(disguised)) this.#fragments.add(fragment);
    }
  }

  /** Registers a query text, so that messages quoting it are withheld. */
  addQuery(text: string | null | undefined): void {
    // The start of a long query is what a message would quote; the cut bounds the search.
    if (text) this.#queries.add(text.slice(0, 20_000));
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
   * may quote a query (unless `queries` is false: for an id, which quotes none), control
   * characters removed, at most `max` characters.
   */
  scrub = (text: string, max = 300, { queries = true }: { queries?: boolean } = {}): string => {
    // Secrets are looked for in the text as sent, and again once it is one line: turning control
    // and invisible characters into spaces and collapsing white space can rebuild a secret that
    // a server sent with its space changed (a tab, a line break, a zero-width space, two spaces).
    const flat = this.redact(oneLine(this.redact(text)));
    // A secret still there is disguised (a character inserted or swapped for one that looks the
    // same, another case, HTML references) or cut short: no form to replace, so the whole text
    // is withheld.
    if (this.#holdsSecret(flat)) return SECRET_WITHHELD;
    // Only what is printed matters, so the query check reads the bounded text.
    const bounded = boundedText(flat, max);
    return queries && this.#quotesQuery(bounded) ? WITHHELD : bounded;
  };

  #holdsSecret(text: string): boolean {
    if (this.#fragments.size === 0 && this.#shortSkeletons.size === 0) return false;
    const decoded = unescaped(text);
    return [text, ...(decoded === text ? [] : [decoded])].some((each) => {
      const seen = skeleton(each);
      for (const secret of this.#shortSkeletons) if (seen.includes(secret)) return true;
      for (let start = 0; start + FRAGMENT_LENGTH <= seen.length; start++) {
        if (this.#fragments.has(seen.slice(start, start + FRAGMENT_LENGTH))) return true;
      }
      return false;
    });
  }

  #quotesQuery(text: string): boolean {
    return looksLikeQuery(text) || this.#queries.quotes(text);
  }
}
