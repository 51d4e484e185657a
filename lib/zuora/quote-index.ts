/**
 * Whether a text quotes any query a run has read: shares a run of {@link QUOTE_WINDOW}
 * characters with one. A run reads a query per job and scrubs several strings per job, so
 * searching every query for every window of every string grows with the square of the jobs: 800
 * jobs with long queries took 40 s, CPU-bound, deaf to Ctrl-C. Instead each query is indexed by
 * its runs of {@link ANCHOR} characters that start at every {@link STRIDE}-th position. Any run of
 * `ANCHOR + STRIDE - 1` characters, a quote's length, contains one of them whole, so looking up
 * the text's runs finds every query it could quote; only those are then searched, by the exact
 * rule.
 */

/** A text quotes a query when it shares a run of this many characters with one. */
export const QUOTE_WINDOW = 24;
const STRIDE = 12;
const ANCHOR = QUOTE_WINDOW - STRIDE + 1;
/**
 * Query characters indexed at most (the index holds one entry per {@link STRIDE} of them): past
 * this, queries are searched whole (slowly), so memory stays bounded whatever a server sends.
 */
const MAX_INDEXED_CHARS = 8_000_000;

/** The queries a run has read, indexed for {@link QuoteIndex.quotes}. */
export class QuoteIndex {
  readonly #queries: string[] = [];
  /** Every query added, indexed or not: a run reads each job's query more than once. */
  readonly #added = new Set<string>();
  /**
   * Each anchor's hash, with the query (or queries) it starts in, by position in
   * {@link QuoteIndex.#queries}. Hashes, not the anchors themselves: a tenth of the memory. Two
   * anchors with one hash only add a query to search.
   */
  readonly #anchors = new Map<number, number | number[]>();
  /** Queries past the characters indexed at most: searched whole. */
  readonly #unindexed: string[] = [];
  readonly #maxIndexedChars: number;
  #indexedChars = 0;

  constructor(options: { maxIndexedChars?: number } = {}) {
    this.#maxIndexedChars = options.maxIndexedChars ?? MAX_INDEXED_CHARS;
  }

  get size(): number {
    return this.#queries.length + this.#unindexed.length;
  }

  /** Adds a query (of at least {@link QUOTE_WINDOW} characters; shorter ones are ignored). */
  add(query: string): void {
    if (query.length < QUOTE_WINDOW || this.#added.has(query)) return;
    this.#added.add(query);
    if (this.#indexedChars + query.length > this.#maxIndexedChars) {
      this.#unindexed.push(query);
      return;
    }
    this.#indexedChars += query.length;
    const index = this.#queries.push(query) - 1;
    for (let start = 0; start + ANCHOR <= query.length; start += STRIDE) {
      const hash = anchorHash(query, start);
      const holders = this.#anchors.get(hash);
      if (holders === undefined) this.#anchors.set(hash, index);
      else if (typeof holders === 'number') {
        if (holders !== index) this.#anchors.set(hash, [holders, index]);
      } else if (holders.at(-1) !== index) holders.push(index);
    }
  }

  /** True when `text` shares a run of {@link QUOTE_WINDOW} characters with a query. */
  quotes(text: string): boolean {
    if (text.length < QUOTE_WINDOW || this.size === 0) return false;
    const candidates = new Set<number>();
    for (let start = 0; start + ANCHOR <= text.length; start++) {
      const holders = this.#anchors.get(anchorHash(text, start));
      if (typeof holders === 'number') candidates.add(holders);
      else for (const index of holders ?? []) candidates.add(index);
    }
    for (const index of candidates)
      if (sharesRun(text, this.#queries[index] as string)) return true;
    return this.#unindexed.some((query) => sharesRun(text, query));
  }
}

/** A 31-bit hash of the {@link ANCHOR} characters of `text` from `start` (a small integer). */
function anchorHash(text: string, start: number): number {
  let hash = 0;
  for (let at = start; at < start + ANCHOR; at++) {
    hash = (Math.imul(hash, 31) + text.charCodeAt(at)) | 0;
  }
  return hash & 0x3fffffff;
}

/** The exact rule: some run of {@link QUOTE_WINDOW} characters of `text` is in `query`. */
function sharesRun(text: string, query: string): boolean {
  for (let start = 0; start + QUOTE_WINDOW <= text.length; start++) {
    if (query.includes(text.slice(start, start + QUOTE_WINDOW))) return true;
  }
  return false;
}
