/**
 * The one HTTP layer every Zuora call goes through: per-request timeouts, an overall deadline
 * it never overruns, retries with full-jitter exponential backoff (`Retry-After` first), and
 * pacing when `RateLimit-Remaining` runs low. Endpoint rules live in `endpoint.ts`, retry
 * timing and header parsing in `retry.ts`; the send/attempt loop stays here, in one piece (which
 * is why this file runs past 250 lines: the loop, its timeouts, pacing and error mapping are read
 * together).
 *
 * Retries are written here rather than taken from p-retry or ky because they must be
 * deadline-aware (never sleep or send past the run's end), let `Retry-After` override the
 * backoff, and share rate-limit pacing across concurrent calls; each library covers one of
 * these and the glue would be as long as this file.
 */
import { SERVICE_NAME } from '../contract/names.ts';
import { type Log, silentLog } from '../log.ts';
import { assertTrackId, parseBaseUrl } from './endpoint.ts';
import {
  DeadlineExceededError,
  parseErrorBody,
  type RequestTarget,
  type ZuoraError,
  ZuoraHttpError,
  ZuoraNetworkError,
  ZuoraResponseError,
} from './errors.ts';
import {
  backoffDelay,
  parseRateLimit,
  parseRetryAfter,
  type RateLimitInfo,
  RETRYABLE_STATUSES,
  type RetryPolicy,
  retryPolicy,
} from './retry.ts';

/** Options of {@link HttpTransport}. */
export interface HttpTransportOptions {
  /** Zuora REST base URL, validated with {@link parseBaseUrl}. */
  baseUrl: string;
  /** Sent as `Zuora-Track-Id` on every request. */
  trackId: string;
  /** Sent as `Zuora-Entity-Ids` when set. */
  entityId?: string | undefined;
  /** Sent as `Zuora-Org-Ids` when set (comma-joined). */
  orgIds?: readonly string[] | undefined;
  /** Epoch milliseconds after which no request may still be running. */
  deadline: number;
  retry?: Partial<RetryPolicy> | undefined;
  /** Removes secret values from any text that could end up in an error. */
  redact?: ((text: string) => string) | undefined;
  log?: Log | undefined;
  /** Injection points for tests; default to the real ones. */
  fetch?: typeof fetch;
  now?: () => number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** One request: a path under the base URL, a query, extra headers, a form or no body. */
export interface HttpRequest<T> {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  query?: Record<string, string | number> | undefined;
  headers?: Record<string, string> | undefined;
  form?: Record<string, string> | undefined;
  /** Validates the parsed JSON body of a 2xx response; throw to reject it. */
  parse: (body: unknown) => T;
}

/** Requests sent, for reports and the benchmark. */
export interface RequestStats {
  requests: number;
  retries: number;
}

/** A successful, validated response. */
export interface HttpResponse<T> {
  data: T;
  status: number;
  requestId: string | undefined;
  attempts: number;
}

const MAX_MESSAGE = 300;

/**
 * Sends requests to one Zuora tenant for one run. Create one per run: it owns the run's
 * deadline, its track id and its rate-limit pacing.
 */
export class HttpTransport {
  readonly stats: RequestStats = { requests: 0, retries: 0 };
  readonly #base: URL;
  /** The base URL's path without a trailing slash ('' for the root). */
  readonly #basePath: string;
  readonly #headers: Record<string, string>;
  readonly #deadline: number;
  readonly #policy: RetryPolicy;
  readonly #redact: (text: string) => string;
  readonly #log: Log;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  /** Rate-limit pacing shared by concurrent requests: none starts before this instant. */
  #notBefore = 0;

  constructor(options: HttpTransportOptions) {
    this.#base = parseBaseUrl(options.baseUrl);
    this.#basePath = this.#base.pathname.replace(/\/+$/, '');
    assertTrackId(options.trackId);
    this.#headers = {
      accept: 'application/json',
      'accept-encoding': 'gzip',
      'user-agent': SERVICE_NAME,
      'zuora-track-id': options.trackId,
    };
    if (options.entityId) this.#headers['zuora-entity-ids'] = options.entityId;
    if (options.orgIds?.length) this.#headers['zuora-org-ids'] = options.orgIds.join(',');
    this.#deadline = options.deadline;
    this.#policy = retryPolicy(options.retry);
    this.#redact = options.redact ?? ((text) => text);
    this.#log = options.log ?? silentLog;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#sleep =
      options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms).unref?.()));
  }

  /**
   * Sends `request`, retrying what is retryable while attempts and the deadline allow.
   * Throws {@link ZuoraHttpError}, {@link ZuoraNetworkError}, {@link ZuoraResponseError} or
   * {@link DeadlineExceededError}.
   */
  async send<T>(request: HttpRequest<T>): Promise<HttpResponse<T>> {
    const target: RequestTarget = { method: request.method, path: request.path };
    const url = new URL(this.#basePath + request.path, this.#base.origin);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      url.searchParams.set(key, String(value));
    }
    let lastError: ZuoraError | undefined;
    for (let attempt = 1; attempt <= this.#policy.maxAttempts; attempt++) {
      await this.#waitForPacing(target, lastError);
      const timeLeft = this.#deadline - this.#now();
      if (timeLeft < this.#policy.minAttemptMs) {
        throw lastError ?? new DeadlineExceededError(target);
      }
      this.stats.requests++;
      if (attempt > 1) this.stats.retries++;
      const outcome = await this.#attempt(request, url, target, attempt, timeLeft);
      if (outcome.done) return outcome.response;
      lastError = outcome.error;
      if (!outcome.retryable || attempt === this.#policy.maxAttempts) throw outcome.error;
      const delay = outcome.retryAfterMs ?? backoffDelay(attempt, this.#policy, this.#random);
      if (this.#now() + delay + this.#policy.minAttemptMs > this.#deadline) {
        // Waiting would run past the deadline: report the failure we have instead.
        throw outcome.error;
      }
      this.#log.debug('retrying Zuora request', {
        method: request.method,
        path: request.path,
        attempt,
        delayMs: delay,
        reason: outcome.error.name,
        status: outcome.error instanceof ZuoraHttpError ? outcome.error.status : undefined,
      });
      await this.#sleep(delay);
    }
    throw lastError ?? new DeadlineExceededError(target);
  }

  async #attempt<T>(
    request: HttpRequest<T>,
    url: URL,
    target: RequestTarget,
    attempt: number,
    timeLeft: number,
  ): Promise<
    | { done: true; response: HttpResponse<T> }
    | { done: false; error: ZuoraError; retryable: boolean; retryAfterMs?: number | undefined }
  > {
    const timeout = Math.min(this.#policy.requestTimeoutMs, timeLeft);
    const headers: Record<string, string> = { ...this.#headers, ...request.headers };
    let body: string | undefined;
    if (request.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(request.form).toString();
    }
    let response: Response;
    let text: string;
    // A timer we clear, not AbortSignal.timeout(): that one keeps the request (and its buffers)
    // reachable until it fires, which for a 1000-job sweep is most of the heap.
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new DOMException('request timed out', 'TimeoutError')),
      timeout,
    );
    try {
      response = await this.#fetch(url, {
        method: request.method,
        headers,
        body,
        signal: controller.signal,
      });
      // The body is read under the same timeout: a stalled or truncated body is a network fault.
      text = await response.text();
    } catch (cause) {
      const timedOut = cause instanceof Error && cause.name === 'TimeoutError';
      return {
        done: false,
        retryable: true,
        error: new ZuoraNetworkError(
          { ...target, attempts: attempt, timedOut },
          { cause: scrubCause(cause, this.#redact) },
        ),
      };
    } finally {
      clearTimeout(timer);
    }
    const requestId = response.headers.get('zuora-request-id') ?? undefined;
    this.#updatePacing(parseRateLimit(response.headers));
    if (response.ok) {
      const invalid = (problem: string) => ({
        done: false as const,
        retryable: false,
        error: new ZuoraResponseError({ ...target, status: response.status, requestId, problem }),
      });
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return invalid('body is not JSON');
      }
      try {
        const data = request.parse(json);
        return {
          done: true,
          response: { data, status: response.status, requestId, attempts: attempt },
        };
      } catch (cause) {
        const problem = cause instanceof Error ? cause.message : 'unexpected shape';
        return invalid(this.#redact(problem).slice(0, MAX_MESSAGE));
      }
    }
    const parsed = parseErrorBody(text);
    const error = new ZuoraHttpError({
      ...target,
      status: response.status,
      code: typeof parsed.code === 'string' ? this.#redact(parsed.code).slice(0, 64) : parsed.code,
      zuoraMessage:
        parsed.message === undefined
          ? undefined
          : this.#redact(parsed.message).slice(0, MAX_MESSAGE),
      requestId,
      attempts: attempt,
    });
    return {
      done: false,
      error,
      retryable: RETRYABLE_STATUSES.has(response.status),
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), this.#now()),
    };
  }

  /** Slows down when Zuora says the quota is nearly spent, instead of running into 429s. */
  #updatePacing(info: RateLimitInfo): void {
    if (info.remaining === undefined || info.resetSeconds === undefined) return;
    const lowWater = Math.max(2, Math.floor((info.limit ?? 0) / 10));
    if (info.remaining >= lowWater) return;
    const spread = (info.resetSeconds * 1000) / (info.remaining + 1);
    const notBefore = this.#now() + Math.min(spread, info.resetSeconds * 1000);
    this.#notBefore = Math.max(this.#notBefore, notBefore);
  }

  async #waitForPacing(target: RequestTarget, lastError: ZuoraError | undefined): Promise<void> {
    const wait = this.#notBefore - this.#now();
    if (wait <= 0) return;
    if (this.#now() + wait + this.#policy.minAttemptMs > this.#deadline) {
      throw lastError ?? new DeadlineExceededError(target);
    }
    this.#log.debug('pacing Zuora requests: rate limit nearly spent', { waitMs: wait });
    await this.#sleep(wait);
  }
}

/** Keeps a network error's class and code as the cause, with any secret scrubbed. */
function scrubCause(cause: unknown, redact: (text: string) => string): Error {
  if (!(cause instanceof Error)) return new Error('request failed');
  const inner = cause.cause instanceof Error ? cause.cause : undefined;
  const detail = inner ? `${cause.message}: ${inner.message}` : cause.message;
  const scrubbed = new Error(redact(detail));
  scrubbed.name = cause.name;
  const code = (inner as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') Object.assign(scrubbed, { code });
  return scrubbed;
}
