/**
 * The redactor on its own: every form a secret travels in, one secret inside another, the
 * shortest value worth registering, messages that quote a query, and the bound on outside text.
 * The leak suites prove no canary escapes end to end; these pin each rule, so that weakening one
 * form or one boundary fails here by name.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundedText, looksLikeQuery } from '../../lib/contract/text.ts';
import { Redactor, SECRET_WITHHELD, WITHHELD } from '../../lib/zuora/redact.ts';

/** Characters that change under every encoding: `/`, `+`, `=`, `%`, a space, non-ASCII. */
const SECRET = 'Sk/+=% é\\"ü';
// Not a multiple of three bytes with its colon, so base64 of the pair never contains base64 of
// the secret alone at its own alignment.
const CLIENT_ID = 'client id/12';

function redactorFor(secret = SECRET, clientId?: string): Redactor {
  const redactor = new Redactor();
  redactor.addSecret(secret, clientId);
  return redactor;
}

const lowerHex = (text: string) => text.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase());
const escapeUnicode = (text: string, upper: boolean) =>
  text.replace(/[\u0080-\uffff]/g, (c) => {
    const hex = c.charCodeAt(0).toString(16).padStart(4, '0');
    return `\\u${upper ? hex.toUpperCase() : hex}`;
  });
const json = JSON.stringify(SECRET).slice(1, -1);
const escapeHtml = (text: string, apostrophe: string) =>
  text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", apostrophe);

describe('Redactor.redact', () => {
  it.each([
    ['raw', SECRET],
    ['percent-encoded', encodeURIComponent(SECRET)],
    ['percent-encoded, lower-case hex', lowerHex(encodeURIComponent(SECRET))],
    ['form-encoded', new URLSearchParams({ v: SECRET }).toString().slice(2)],
    [
      'form-encoded, lower-case hex',
      lowerHex(new URLSearchParams({ v: SECRET }).toString().slice(2)),
    ],
    ['JSON-escaped, inside a longer string', json],
    ['JSON-escaped with escaped slashes', json.replaceAll('/', '\\/')],
    ['JSON-escaped with lower-case \\u escapes', escapeUnicode(json, false)],
    ['JSON-escaped with upper-case \\u escapes', escapeUnicode(json, true)],
    ['base64', Buffer.from(SECRET).toString('base64')],
    ['base64 without its padding', Buffer.from(SECRET).toString('base64').replace(/=+$/, '')],
    ['base64url', Buffer.from(SECRET).toString('base64url')],
    ['in the other Unicode normal form (NFD)', SECRET.normalize('NFD')],
    [
      'percent-encoded with its slashes kept, as in a URL path',
      encodeURIComponent(SECRET).replaceAll('%2F', '/'),
    ],
    ['percent-encoded as encodeURI writes it', encodeURI(SECRET)],
    ['percent-encoded as encodeURI writes it, lower-case hex', lowerHex(encodeURI(SECRET))],
    ['HTML-escaped', escapeHtml(SECRET, '&#39;')],
    [
      'HTML-escaped, non-ASCII as decimal references',
      escapeHtml(SECRET, '&#39;').replace(/[^\p{ASCII}]/gu, (c) => `&#${c.codePointAt(0)};`),
    ],
    [
      'HTML-escaped, non-ASCII as hex references',
      escapeHtml(SECRET, '&#39;').replace(
        /[^\p{ASCII}]/gu,
        (c) => `&#x${c.codePointAt(0)?.toString(16)};`,
      ),
    ],
  ])('removes the secret %s, wherever it sits in the text', (_form, encoded) => {
    const text = `echo: <${encoded}> and again ${encoded}!`;

    expect(redactorFor().redact(text)).toBe('echo: <[redacted]> and again [redacted]!');
  });

  it.each([
    [
      'percent-encoded strictly (RFC 3986)',
      (v: string) =>
        encodeURIComponent(v).replace(
          /[!'()*]/g,
          (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
        ),
    ],
    ['HTML-escaped with &#39;', (v: string) => escapeHtml(v, '&#39;')],
    ['HTML-escaped with &#x27;', (v: string) => escapeHtml(v, '&#x27;')],
  ])('removes a secret with characters RFC 3986 and HTML escape: %s', (_form, encode) => {
    const secret = "it's (a) *secret* & more!";
    expect(encode(secret)).not.toBe(secret);

    expect(redactorFor(secret).redact(`echo ${encode(secret)}.`)).toBe('echo [redacted].');
  });

  it('registers a secret with a lone surrogate without throwing', () => {
    const secret = 'abc\ud800defgh';

    expect(redactorFor(secret).redact(`x${secret}x`)).toBe('x[redacted]x');
  });

  it('removes both padding characters of base64, not one', () => {
    // Two bytes of padding, and a "/" so that the base64url form does not match instead.
    const secret = 'abc?>?~';
    const unpadded = Buffer.from(secret).toString('base64').replace(/=+$/, '');
    expect(Buffer.from(secret).toString('base64')).toMatch(/\/.*==$/);

    expect(redactorFor(secret).redact(`x${unpadded}x`)).toBe('x[redacted]x');
  });

  it.each([
    ['raw', `${CLIENT_ID}:${SECRET}`],
    ['form-encoded', `${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(SECRET)}`],
  ])('removes the HTTP Basic credentials (%s id:secret, base64)', (_form, pair) => {
    const basic = Buffer.from(pair).toString('base64');

    expect(redactorFor(SECRET, CLIENT_ID).redact(`Authorization: Basic ${basic}`)).toBe(
      'Authorization: Basic [redacted]',
    );
    // Without the client id, the pair is not known, but the characters that encode the secret
    // alone are: only those around it, which also encode the id, are left.
    const withoutId = redactorFor(SECRET).redact(`Basic ${basic}`);
    expect(withoutId).toMatch(/^Basic [A-Za-z0-9+/]+\[redacted\][A-Za-z0-9+/]?=*$/);
    expect(withoutId).not.toContain(basic.slice(-8));
  });

  it.each([
    ['base64 at the second byte of a longer text', Buffer.from(`x${SECRET}!`).toString('base64')],
    ['base64 at the third byte', Buffer.from(`xy${SECRET}!`).toString('base64')],
    [
      'base64 of a whole form body',
      Buffer.from(
        new URLSearchParams({ client_id: CLIENT_ID, client_secret: SECRET }).toString(),
      ).toString('base64'),
    ],
    ['base64 of an Authorization header', Buffer.from(`Bearer ${SECRET}`).toString('base64')],
    ['percent-encoded twice', encodeURIComponent(encodeURIComponent(SECRET))],
    ['hex', Buffer.from(SECRET).toString('hex')],
  ])('removes the secret inside %s', (_form, text) => {
    const redacted = redactorFor(SECRET).redact(`echo ${text}.`);

    expect(redacted).toContain('[redacted]');
    // What is left decodes to no more than the bytes shared with the text around the secret.
    for (const run of redacted.match(/[A-Za-z0-9+/%]{4,}/g) ?? []) {
      expect(Buffer.from(run, 'base64').toString('latin1')).not.toMatch(/Sk\/\+|ü/);
      expect(
        decodeURIComponent(decodeURIComponent(run.replace(/%(?![0-9A-F]{2})/gi, ''))),
      ).not.toContain('Sk/+');
    }
  });

  it('replaces a secret that contains another whole, never leaving part of it', () => {
    const redactor = new Redactor();
    redactor.addSecret('token-abc');
    redactor.addSecret('token-abc-and-more-of-the-token');

    expect(redactor.redact('got token-abc-and-more-of-the-token, then token-abc')).toBe(
      'got [redacted], then [redacted]',
    );
  });

  it('registers values of six characters or more, and ignores shorter or missing ones', () => {
    const redactor = new Redactor();
    redactor.addSecret(undefined);
    redactor.addSecret('');
    redactor.addSecret('abcde');
    redactor.addSecret('uvwxyz');

    expect(redactor.redact('abcde uvwxyz')).toBe('abcde [redacted]');
    // Nor any encoded form of a value too short to register.
    const short = Buffer.from('abcde').toString('base64');
    expect(redactor.redact(short)).toBe(short);
  });

  it('leaves text without a secret exactly as it was', () => {
    const redactor = redactorFor(SECRET, CLIENT_ID);
    fc.assert(
      fc.property(fc.string(), (text) => {
        fc.pre(!text.includes('Sk'));
        expect(redactor.redact(text)).toBe(text);
      }),
    );
  });
});

describe('Redactor.scrub, for part of a secret', () => {
  const secret = 'Cy/x+9=%z k\u00e9Y\u2603-CANARYSECRET';

  it.each([
    ['all but its last character (a body cut at its limit)', secret.slice(0, -1)],
    ['all but its first characters', secret.slice(3)],
    ['twelve characters of it', 'CANARYSECRE'.padStart(12, '-')],
    ['twelve characters of its form encoding, in lower case', 'x%2b9%3d%25z'],
    [
      'twelve characters of the base64 of its pair, in lower case',
      Buffer.from(`${CLIENT_ID}:${secret}`).toString('base64').slice(8, 20).toLowerCase(),
    ],
  ])('withholds a message holding %s', (_part, part) => {
    expect(redactorFor(secret, CLIENT_ID).scrub(`rejected ${part} end`)).toBe(SECRET_WITHHELD);
  });

  const bytes = [...Buffer.from(secret)];
  const hex = (byte: number) => byte.toString(16).padStart(2, '0');
  it.each([
    ['every byte percent-encoded', bytes.map((b) => `%${hex(b).toUpperCase()}`).join('')],
    ['every byte percent-encoded, in lower case', bytes.map((b) => `%${hex(b)}`).join('')],
    ['every byte as \\x', bytes.map((b) => `\\x${hex(b)}`).join('')],
    [
      'every character as \\u',
      [...secret]
        .map((c) => `\\u${(c.codePointAt(0) as number).toString(16).padStart(4, '0')}`)
        .join(''),
    ],
    ['hex bytes apart with colons', bytes.map(hex).join(':')],
    ['hex bytes apart with spaces, 0x-prefixed', bytes.map((b) => `0x${hex(b)}`).join(', ')],
  ])('withholds a message holding it with %s', (_form, echoed) => {
    expect(redactorFor(secret, CLIENT_ID).scrub(`invalid_client: client_secret=${echoed}`)).toBe(
      SECRET_WITHHELD,
    );
  });

  it('prints eleven characters of it: so short a run is not worth a message', () => {
    const text = `rejected ${'CANARYSECRE'} end`;

    expect(redactorFor(secret, CLIENT_ID).scrub(text)).toBe(text);
  });

  it('prints text that shares only common words and encodings with the secret', () => {
    const text =
      'invalid_client: client_secret is wrong for client id/12 (see https://example.com/x%2Fy)';

    expect(redactorFor(secret, CLIENT_ID).scrub(text)).toBe(text);
  });
});

describe('Redactor.scrub', () => {
  it.each([
    ['a tab', '\t'],
    ['a line break', '\r\n'],
    ['a zero-width space', ' \u200b'],
    ['two spaces', '  '],
    ['a bidi override', '\u202e'],
    ['a Mongolian vowel separator', '\u180e'],
  ])(
    'removes a secret sent with its space changed to %s (one line would rebuild it)',
    (_name, space) => {
      const secret = 'Sk/+=% \u00e9-canary';
      const echoed = `rejected: ${secret.replace(' ', space)}!`;

      expect(redactorFor(secret).scrub(echoed)).toBe('rejected: [redacted]!');
    },
  );

  it.each([
    ['its space swapped for a variation selector', (v: string) => v.replace(' ', '\ufe0f')],
    ['its space swapped for a Hangul filler', (v: string) => v.replace(' ', '\u3164')],
    ['its space swapped for a blank Braille pattern', (v: string) => v.replace(' ', '\u2800')],
    ['a combining grapheme joiner inserted', (v: string) => v.replace('-', '-\u034f')],
    ['a zero-width space inserted', (v: string) => v.replace('CANARY', 'CANA\u200bRY')],
    ['a line break inserted', (v: string) => v.replace('CANARY', 'CANA\nRY')],
    ['upper case', (v: string) => v.toUpperCase()],
    ['named HTML references', (v: string) => v.replace('\u00e9', '&eacute;')],
    ['padded numeric HTML references', (v: string) => v.replace('\u00e9', '&#X00E9;')],
    [
      'full-width letters',
      (v: string) => v.replace('CANARY', '\uff23\uff21\uff2e\uff21\uff32\uff39'),
    ],
  ])('withholds a message holding the secret disguised: %s', (_name, disguise) => {
    const secret = 'Cy/x+9=%z k\u00e9Y\u2603-CANARYSECRET';
    const echoed = `bad client_secret=${disguise(secret)} end`;
    expect(echoed).not.toContain(secret);

    expect(redactorFor(secret).scrub(echoed)).toBe(SECRET_WITHHELD);
  });

  it.each([
    ['a word joiner', '\u2060'],
    ['a soft hyphen', '\u00ad'],
    ['a zero-width joiner', '\u200d'],
  ])(
    'withholds a message holding the secret with %s for its space (joiners are dropped)',
    (_name, joiner) => {
      const secret = 'Sk/+=% \u00e9-canary';

      expect(redactorFor(secret).scrub(`rejected: ${secret.replace(' ', joiner)}`)).toBe(
        SECRET_WITHHELD,
      );
    },
  );

  it('leaves messages alone that share only part of a secret', () => {
    const secret = 'Cy/x+9=%z k\u00e9Y\u2603-CANARYSECRET';

    expect(redactorFor(secret).scrub('Cy/x+9 is not CANARY SECRE')).toBe(
      'Cy/x+9 is not CANARY SECRE',
    );
  });

  it('removes a secret that itself holds two spaces, once its text is one line', () => {
    const secret = 'Sk/+=%  \u00e9-canary';

    expect(redactorFor(secret).scrub(`rejected: ${secret.replace('  ', '\n')}`)).toBe(
      'rejected: [redacted]',
    );
  });

  const QUERY = "select Id, Name from Account where Name = 'Acme Corporation Holdings'";

  it('withholds a message quoting a registered query, even without "select … from"', () => {
    const redactor = new Redactor();
    redactor.addQuery(QUERY);
    // 24 characters of the query, as the last thing in the message.
    const quoted = QUERY.slice(-24);

    expect(redactor.scrub(`near ${quoted}`)).toBe(WITHHELD);
    expect(WITHHELD).toMatch(/withheld/);
    // 23 shared characters are not a quote.
    expect(redactor.scrub(`near ${QUERY.slice(-23)}`)).toBe(`near ${QUERY.slice(-23)}`);
    // A message the length of one window, all of it quoted.
    expect(redactor.scrub(quoted)).toBe(WITHHELD);
  });

  it('knows queries of 24 characters or more, and only the first 20,000 of a long one', () => {
    const redactor = new Redactor();
    const exact = 'Name = exactly24chars!!!';
    expect(exact).toHaveLength(24);
    redactor.addQuery(exact);
    redactor.addQuery('Name = only 23 chars!!!');
    const long = `${'a'.repeat(20_000)}Q-tail-beyond-the-cut-is-not-kept`;
    redactor.addQuery(long);
    redactor.addQuery(null);
    redactor.addQuery(undefined);

    expect(redactor.scrub(`x ${exact} y`)).toBe(WITHHELD);
    expect(redactor.scrub('Name = only 23 chars!!!')).toBe('Name = only 23 chars!!!');
    expect(redactor.scrub('Q-tail-beyond-the-cut-is-not-kept')).toBe(
      'Q-tail-beyond-the-cut-is-not-kept',
    );
  });

  it('withholds query-looking text whatever the registered queries', () => {
    expect(new Redactor().scrub('Query failed: SELECT a FROM b')).toBe(WITHHELD);
    expect(looksLikeQuery('select\n*\nfrom x')).toBe(true);
    expect(looksLikeQuery('selected items from the list')).toBe(false);
  });

  it('passes other messages through, redacted and bounded', () => {
    const redactor = redactorFor();
    redactor.addQuery(QUERY);

    expect(redactor.scrub(`bad token ${SECRET}\n\tretry later`, 40)).toBe(
      'bad token [redacted] retry later',
    );
  });
});

describe('boundedText', () => {
  it('drops the joiners, so words and emoji built with them still read as one', () => {
    expect(boundedText('Datenbank\u00adabfrage', 100)).toBe('Datenbankabfrage');
    expect(boundedText('\u{1f468}\u200d\u{1f469}\u200d\u{1f467}', 100)).toBe(
      '\u{1f468}\u{1f469}\u{1f467}',
    );
    expect(boundedText('\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645', 100)).toBe(
      '\u0645\u06cc\u062e\u0648\u0627\u0647\u0645',
    );
  });

  it('turns control and bidirectional characters and runs of white space into one space', () => {
    expect(boundedText('  a\u0000\u0007b\u202ec  \n\t d\ufeff ', 100)).toBe('a b c d');
    expect(boundedText('a  b', 100)).toBe('a b');
  });

  it('keeps text of exactly the bound, and cuts longer text to it with an ellipsis', () => {
    expect(boundedText('abcde', 5)).toBe('abcde');
    expect(boundedText('abcdef', 5)).toBe('abcd…');
    expect(boundedText('abcdef', 5)).toHaveLength(5);
  });
});
