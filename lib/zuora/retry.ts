/**
 * Retry timing for the HTTP layer: which statuses are retried, the backoff, and the headers that
 * tell us to wait (`Retry-After`, `RateLimit-*`). Pure functions, no I/O.
 */

/** Statuses worth another attempt: throttling and transient server faults. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

/** Retry and timing parameters; see {@link DEFAULT_RETRY_POLICY}. */
export interface RetryPolicy {
  /** Attempts per request, the first included. */
  readonly maxAttempts: number;
  /** Backoff before retry n (1-based) is random in [0, min(maxDelayMs, baseDelayMs·2^(n-1))]. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A single attempt is aborted after this long. */
  readonly requestTimeoutMs: number;
  /** No attempt starts unless at least this much time is left before the deadline. */
  readonly minAttemptMs: number;
}

/** Defaults: 5 attempts, 250 ms base, 8 s cap, 10 s per attempt, 1 s minimum to start one. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  requestTimeoutMs: 10_000,
  minAttemptMs: 1_000,
};

/**
 * The retry policy with `overrides` applied: keys set to undefined are dropped first, so they
 * keep their default instead of wiping it.
 */
export function retryPolicy(overrides: Partial<RetryPolicy> | undefined): RetryPolicy {
  const defined = Object.entries(overrides ?? {}).filter(([, value]) => value !== undefined);
  return { ...DEFAULT_RETRY_POLICY, ...Object.fromEntries(defined) };
}

/**
 * Parses `Retry-After` (delta seconds or an HTTP date) into milliseconds from `now`.
 * Returns undefined for a missing or malformed value.
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = parseHttpDate(trimmed, now);
  return date === undefined ? undefined : Math.max(0, date - now);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH = `(?<month>${MONTHS.join('|')})`;
const TIME = '(?<hours>\\d{2}):(?<minutes>\\d{2}):(?<seconds>\\d{2})';
/** The three forms of an HTTP date: only the first is sent today, the others are obsolete. */
const HTTP_DATES = [
  // Sun, 06 Nov 1994 08:49:37 GMT
  new RegExp(`^[A-Z][a-z]{2}, (?<day>\\d{2}) ${MONTH} (?<year>\\d{4}) ${TIME} GMT$`),
  // Sunday, 06-Nov-94 08:49:37 GMT
  new RegExp(`^[A-Z][a-z]{5,8}, (?<day>\\d{2})-${MONTH}-(?<year>\\d{2}) ${TIME} GMT$`),
  // Sun Nov  6 08:49:37 1994 (no zone, and it means GMT)
  new RegExp(`^[A-Z][a-z]{2} ${MONTH} (?<day>[ \\d]\\d) ${TIME} (?<year>\\d{4})$`),
];

/**
 * Epoch milliseconds of an HTTP date (RFC 9110, section 5.6.7) in any of its three forms, or
 * undefined. Not `Date.parse`: that reads a date without a zone (asctime's) in the machine's
 * zone, and turns text such as `soon 5` or `Nov 30` into some date.
 */
export function parseHttpDate(text: string, now = Date.now()): number | undefined {
  const fields = HTTP_DATES.map((form) => form.exec(text)?.groups).find(Boolean);
  if (!fields) return undefined;
  const [day, hours, minutes, seconds] = [
    fields.day,
    fields.hours,
    fields.minutes,
    fields.seconds,
  ].map(Number) as [number, number, number, number];
  let year = Number(fields.year);
  if (fields.year?.length === 2) {
    // A two-digit year that would be more than 50 years ahead is in the past century.
    const thisYear = new Date(now).getUTCFullYear();
    year += Math.floor(thisYear / 100) * 100;
    if (year > thisYear + 50) year -= 100;
  }
  if (hours > 23 || minutes > 59 || seconds > 60) return undefined;
  // A leap second is read as the second before it.
  const instant = Date.UTC(
    year,
    MONTHS.indexOf(fields.month as string),
    day,
    hours,
    minutes,
    Math.min(seconds, 59),
  );
  // 31 Nov is not a day: Date.UTC would roll it over into December.
  return new Date(instant).getUTCDate() === day ? instant : undefined;
}

/** `RateLimit-*` header values; a malformed header is simply absent. */
export interface RateLimitInfo {
  limit?: number;
  remaining?: number;
  resetSeconds?: number;
}

function leadingNumber(value: string | null): number | undefined {
  // Accepts "100", "100, 100;w=60" (IETF draft lists) and ignores anything else.
  const match = value?.trim().match(/^(\d+(?:\.\d+)?)(?:\s*[,;]|$)/);
  return match ? Number(match[1]) : undefined;
}

/** Parses `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` leniently. */
export function parseRateLimit(headers: Headers): RateLimitInfo {
  const info: RateLimitInfo = {};
  const limit = leadingNumber(headers.get('ratelimit-limit'));
  const remaining = leadingNumber(headers.get('ratelimit-remaining'));
  const reset = leadingNumber(headers.get('ratelimit-reset'));
  if (limit !== undefined) info.limit = limit;
  if (remaining !== undefined) info.remaining = remaining;
  if (reset !== undefined) info.resetSeconds = reset;
  return info;
}

/** Full-jitter exponential backoff: random in [0, min(cap, base·2^(retry-1))]. */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * ceiling);
}
