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
  const date = Date.parse(trimmed);
  if (Number.isNaN(date) || !/[a-z]/i.test(trimmed)) return undefined;
  return Math.max(0, date - now);
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
