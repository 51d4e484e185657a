/**
 * The quote index answers exactly what searching every query for every run of the text would:
 * the index only chooses which queries to search. Checked against that search on texts built
 * from pieces of the queries, at every length around the quote's, and past the index's bound.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QUOTE_WINDOW, QuoteIndex } from '../../lib/zuora/quote-index.ts';

/** The rule itself, searched the slow way. */
function quotesSlowly(text: string, queries: readonly string[]): boolean {
  for (let start = 0; start + QUOTE_WINDOW <= text.length; start++) {
    const run = text.slice(start, start + QUOTE_WINDOW);
    if (queries.some((query) => query.length >= QUOTE_WINDOW && query.includes(run))) return true;
  }
  return false;
}

/** Queries over a few letters, or over two, so that queries share anchors (and hashes) often. */
const query = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', 'b', 'c', ' ', 'é'), minLength: 0, maxLength: 120 }),
  fc.string({ unit: fc.constantFrom('a', 'b'), minLength: 20, maxLength: 200 }),
);

describe('QuoteIndex', () => {
  it('finds a quote wherever it starts in the query, and not one character shorter', () => {
    const text = 'select id, name, email from account where status = 1 and region = 2';
    for (let start = 0; start + QUOTE_WINDOW <= text.length; start++) {
      const index = new QuoteIndex();
      index.add(text);
      const piece = text.slice(start, start + QUOTE_WINDOW);
      // Between characters the query does not have, so that nothing around the piece extends it.
      expect(index.quotes(`#${piece}#`)).toBe(true);
      expect(index.quotes(`#${piece.slice(1)}#`)).toBe(false);
      // Alone: the anchor that finds it may be the text's last.
      expect(index.quotes(piece)).toBe(true);
    }
  });

  it.each([
    ['indexed', undefined],
    ['past the bound, searched whole', 0],
    ['some indexed, the rest past the bound', 150],
  ])('answers as the slow search does (%s)', (_name, maxIndexedChars) => {
    fc.assert(
      fc.property(
        fc.array(query, { maxLength: 8 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 20, max: 30 })), { maxLength: 4 }),
        fc.string({ maxLength: 10 }),
        (queries, pieces, glue) => {
          const index = new QuoteIndex(maxIndexedChars === undefined ? {} : { maxIndexedChars });
          for (const each of queries) index.add(each);
          const text = pieces
            .map(([which, at, length]) => {
              const source = queries[which % Math.max(queries.length, 1)] ?? '';
              const start = source.length === 0 ? 0 : at % source.length;
              return source.slice(start, start + length);
            })
            .join(glue);
          expect(index.quotes(text)).toBe(quotesSlowly(text, queries));
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('finds a quote of any of several queries that begin alike', () => {
    const index = new QuoteIndex();
    // One anchor, `select x from`, starts all three: it must lead to each of them.
    const queries = ['a', 'b', 'c'].map((letter) => `select x from ${letter.repeat(30)}`);
    for (const each of queries) index.add(each);

    for (const each of queries) expect(index.quotes(each.slice(0, QUOTE_WINDOW))).toBe(true);
    expect(index.quotes(`select x from ${'d'.repeat(10)}`)).toBe(false);
  });

  it('holds a query read again once', () => {
    const index = new QuoteIndex();
    const query = `select ${'x'.repeat(100)} from account`;
    for (let i = 0; i < 3; i++) index.add(query);

    expect(index.size).toBe(1);
    expect(index.quotes(`near ${query.slice(0, 30)}`)).toBe(true);
  });

  it('ignores queries shorter than a quote', () => {
    const index = new QuoteIndex();
    index.add('select 1 from dual');

    expect(index.size).toBe(0);
    expect(index.quotes('select 1 from dual, and then select 1 from dual')).toBe(false);
  });
});
