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
  safeRequestId,
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
  /** Sent as `Zuora-Org-Ids` when set (comma-joined). */
  orgIds?: readonly string[] | undefined;
  /** Epoch milliseconds after which no request may still be running. */
  deadline: number;
  /** Aborted when the run must stop starting work (Ctrl-C); in-flight requests finish. */
  signal?: AbortSignal | undefined;
  retry?: Partial<RetryPolicy> | undefined;
  /** Shared by every transport of one run, so that a 429 pauses all of the run's traffic. */
  gate?: RequestGate | undefined;
  /** Makes text from the server safe to keep: secrets redacted, bounded, query text withheld. */
  scrub?: ((text: string, max?: number) => string) | undefined;
  /**
   * Replaces secrets in raw text: applied to an error body before it is read, because reading
   * it (tags dropped, spaces collapsed) could change a secret's form past recognition.
   */
  redact?: ((text: string) => string) | undefined;
  log?: Log | undefined;
  /** Injection points for tests; default to the real ones. */
  fetch?: typeof fetch | undefined;
  now?: (() => number) | undefined;
  random?: (() => number) | undefined;
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
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

/**
 * When the next request of a run may start. Rate-limit pacing and `Retry-After` both move it,
 * and every request of the run waits for it: one 429 pauses the run's traffic to the tenant.
 */
export class RequestGate {
  #notBefore = 0;

  /** The instant before which no request starts. */
  get notBefore(): number {
    return this.#notBefore;
  }

  /** Holds every request until at least `instant`. */
  holdUntil(instant: number): void {
    this.#notBefore = Math.max(this.#notBefore, instant);
  }
}

/** How much of an error body is read: the message printed is far shorter. */
const MAX_ERROR_BODY = 64 * 1024;
/**
 * What is dropped before the cut of a body read only in part: the cut can fall inside an echoed
 * secret, and the part left over matches none of the secret's forms, so it would be printed.
 * Longer than any form of a client secret or token.
 */
const CUT_MARGIN = 4 * 1024;
/**
 * The largest successful body read: a page of 100 jobs with long queries fits many times over.
 * A larger one is not an answer the janitor can judge, and reading it could exhaust memory.
 */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
const MAX_MESSAGE = 300;

type Attempt<T> =
  | { done: true; response: HttpResponse<T> }
  | { done: false; error: ZuoraError; retryable: boolean; retryAfterMs?: number | undefined };

/** Waits `ms`, or less if `signal` is aborted first. Not unref'd: a CLI waiting out a retry is alive. */
function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Sends requests to one Zuora tenant for one run. Create one per run and set of credentials: it
 * owns the run's deadline, its track id and (with the shared gate) its pacing.
 */
export class HttpTransport {
  readonly stats: RequestStats = { requests: 0, retries: 0 };
  readonly #base: URL;
  /** The base URL's path without a trailing slash ('' for the root). */
  readonly #basePath: string;
  readonly #headers: Record<string, string>;
  readonly #deadline: number;
  readonly #signal: AbortSignal | undefined;
  readonly #policy: RetryPolicy;
  readonly #gate: RequestGate;
  readonly #scrub: (text: string, max?: number) => string;
  readonly #redact: (text: string) => string;
  readonly #log: Log;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

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
    if (options.orgIds?.length) this.#headers['zuora-org-ids'] = options.orgIds.join(',');
    this.#deadline = options.deadline;
    this.#signal = options.signal;
    this.#policy = retryPolicy(options.retry);
    this.#gate = options.gate ?? new RequestGate();
    this.#scrub = options.scrub ?? ((text, max = MAX_MESSAGE) => text.slice(0, max));
    this.#redact = options.redact ?? ((text) => text);
    this.#log = options.log ?? silentLog;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? sleepUnlessAborted;
  }

  /**
   * Sends `request`, retrying what is retryable while attempts and the deadline allow. Throws
   * {@link ZuoraHttpError}, {@link ZuoraNetworkError} or {@link ZuoraResponseError} when it
   * failed, and {@link DeadlineExceededError} when it ran out of time (or was interrupted)
   * before it could finish: that work is deferred, not failed.
   */
  async send<T>(request: HttpRequest<T>): Promise<HttpResponse<T>> {
    const target: RequestTarget = { method: request.method, path: request.path };
    // The path is set, never resolved against the origin: resolved, a path starting with `//`
    // would name another host (and the token request would carry the secret there).
    const url = new URL(this.#base.origin);
    url.pathname = this.#basePath + request.path;
    for (const [key, value] of Object.entries(request.query ?? {})) {
      url.searchParams.set(key, String(value));
    }
    let lastError: ZuoraError | undefined;
    for (let attempt = 1; attempt <= this.#policy.maxAttempts; attempt++) {
      await this.#waitForGate(target, lastError);
      const timeLeft = this.#deadline - this.#now();
      if (this.#signal?.aborted || timeLeft < this.#policy.minAttemptMs) {
        throw this.#outOfTime(target, lastError);
      }
      this.stats.requests++;
      if (attempt > 1) this.stats.retries++;
      const outcome = await this.#attempt(request, url, target, attempt, timeLeft);
      if (outcome.done) return outcome.response;
      lastError = outcome.error;
      const delay = outcome.retryAfterMs ?? backoffDelay(attempt, this.#policy, this.#random);
      const throttled =
        outcome.retryable && (outcome.retryAfterMs !== undefined || isThrottled(outcome.error));
      // Zuora asked the tenant's client to slow down, not this one request: every request of the
      // run waits at the gate, this one included. Even a wait that outlasts the run, and even on
      // this request's last attempt: the rest of the run waits, or is deferred, rather than sent
      // to a Zuora that asked for quiet.
      if (throttled) this.#gate.holdUntil(this.#now() + delay);
      if (!outcome.retryable || attempt === this.#policy.maxAttempts) throw outcome.error;
      if (this.#now() + delay + this.#policy.minAttemptMs > this.#deadline) {
        // Waiting would run past the deadline: the work is deferred, not failed.
        throw this.#outOfTime(target, outcome.error, delay);
      }
      this.#log.debug('retrying Zuora request', {
        method: request.method,
        path: request.path,
        attempt,
        delayMs: delay,
        reason: outcome.error.name,
        status: outcome.error instanceof ZuoraHttpError ? outcome.error.status : undefined,
      });
      if (!throttled) await this.#sleep(delay, this.#signal);
    }
    throw lastError ?? this.#outOfTime(target, undefined);
  }

  #outOfTime(
    target: RequestTarget,
    cause: ZuoraError | undefined,
    waitMs?: number,
  ): DeadlineExceededError {
    return new DeadlineExceededError(
      { ...target, interrupted: this.#signal?.aborted, waitMs },
      cause ? { cause } : undefined,
    );
  }

  async #attempt<T>(
    request: HttpRequest<T>,
    url: URL,
    target: RequestTarget,
    attempt: number,
    timeLeft: number,
  ): Promise<Attempt<T>> {
    const timeout = Math.min(this.#policy.requestTimeoutMs, timeLeft);
    const headers: Record<string, string> = { ...this.#headers, ...request.headers };
    let body: string | undefined;
    if (request.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(request.form).toString();
    }
    let response: Response | undefined;
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
        // Never follow a redirect: fetch would resend the form (the client secret) or the bearer
        // token to wherever it points, past the base URL's checks, and turn a DELETE answered 303
        // into a GET. A 3xx is an answer like any other error: reported, never retried.
        redirect: 'manual',
      });
      // The body is read under the same timeout: a stalled or truncated body is a network fault.
      // Never more than a bound: an error body is cut short, a success body refused.
      const read = await readBounded(response, response.ok ? MAX_RESPONSE_BYTES : MAX_ERROR_BODY);
      if (read.truncated && response.ok) {
        const limit = MAX_RESPONSE_BYTES / 1024 / 1024;
        return this.#unreadable(target, response, `body larger than ${limit} MiB: not read`);
      }
      text = read.text;
    } catch (cause) {
      if (response && isDecodingError(cause)) {
        // Zuora answered, but with a body that is not the encoding it claims: not a network fault.
        const encoding = this.#scrub(response.headers.get('content-encoding') ?? 'declared', 32);
        return this.#unreadable(
          target,
          response,
          `body could not be decoded as the ${encoding} it claims`,
        );
      }
      const timedOut = cause instanceof Error && cause.name === 'TimeoutError';
      return {
        done: false,
        retryable: true,
        error: new ZuoraNetworkError(
          { ...target, attempts: attempt, timedOut },
          { cause: scrubCause(cause, this.#scrub) },
        ),
      };
    } finally {
      clearTimeout(timer);
    }
    const requestId = this.#requestId(response);
    this.#updatePacing(parseRateLimit(response.headers));
    if (response.ok) return this.#parseSuccess(request, response, text, target, attempt, requestId);
    // A redirect's body and Location are the redirecting server's words: say what it was.
    const parsed = isRedirect(response.status)
      ? { code: undefined, message: REDIRECT_MESSAGE }
      : parseErrorBody(this.#redact(text.slice(0, MAX_ERROR_BODY)));
    const error = new ZuoraHttpError({
      ...target,
      status: response.status,
      code: typeof parsed.code === 'string' ? this.#scrub(parsed.code, 64) : parsed.code,
      zuoraMessage: parsed.message === undefined ? undefined : this.#scrub(parsed.message),
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

  #parseSuccess<T>(
    request: HttpRequest<T>,
    response: Response,
    text: string,
    target: RequestTarget,
    attempt: number,
    requestId: string | undefined,
  ): Attempt<T> {
    const invalid = (problem: string): Attempt<T> => ({
      done: false,
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
      return invalid(this.#scrub(cause instanceof Error ? cause.message : 'unexpected shape'));
    }
  }

  /** An answer whose body cannot be used: sending the request again would not change it. */
  #unreadable(target: RequestTarget, response: Response, problem: string): Attempt<never> {
    return {
      done: false,
      retryable: false,
      error: new ZuoraResponseError({
        ...target,
        status: response.status,
        requestId: this.#requestId(response),
        problem,
      }),
    };
  }

  /** The `Zuora-Request-Id`, kept only if it looks like one once scrubbed. */
  #requestId(response: Response): string | undefined {
    const value = response.headers.get('zuora-request-id');
    return value === null ? undefined : safeRequestId(this.#scrub(value, 64));
  }

  /** Slows down when Zuora says the quota is nearly spent, instead of running into 429s. */
  #updatePacing(info: RateLimitInfo): void {
    if (info.remaining === undefined || info.resetSeconds === undefined) return;
    const lowWater = Math.max(2, Math.floor((info.limit ?? 0) / 10));
    if (info.remaining >= lowWater) return;
    const spread = (info.resetSeconds * 1000) / (info.remaining + 1);
    this.#gate.holdUntil(this.#now() + Math.min(spread, info.resetSeconds * 1000));
  }

  async #waitForGate(target: RequestTarget, lastError: ZuoraError | undefined): Promise<void> {
    const wait = this.#gate.notBefore - this.#now();
    if (wait <= 0) return;
    if (this.#now() + wait + this.#policy.minAttemptMs > this.#deadline) {
      throw this.#outOfTime(target, lastError, wait);
    }
    this.#log.debug('pacing Zuora requests', { waitMs: wait });
    await this.#sleep(wait, this.#signal);
  }
}

/** What a 3xx answer says in an error: the janitor never follows one (see `#attempt`). */
const REDIRECT_MESSAGE = 'a redirect, not followed';

function isRedirect(status: number): boolean {
  return status >= 300 && status < 400;
}

function isThrottled(error: ZuoraError): boolean {
  return error instanceof ZuoraHttpError && error.status === 429;
}

/** True for the error `fetch` raises when a body is not the gzip (or deflate) it claims. */
function isDecodingError(error: unknown): boolean {
  const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return typeof code === 'string' && /^Z_/.test(code);
}

/** Keeps a network error's class and code as the cause, scrubbed and bounded. */
function scrubCause(cause: unknown, scrub: (text: string, max?: number) => string): Error {
  if (!(cause instanceof Error)) return new Error('request failed');
  const inner = cause.cause instanceof Error ? cause.cause : undefined;
  const detail = inner ? `${cause.message}: ${inner.message}` : cause.message;
  const scrubbed = new Error(scrub(detail, 200));
  scrubbed.name = cause.name;
  const code = (inner as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && /^[A-Z_]{1,32}$/.test(code)) Object.assign(scrubbed, { code });
  return scrubbed;
}

/**
 * Reads a body as UTF-8 text (as `Response.text()` does), stopping after `maxBytes`: the rest
 * is never read, and the connection is let go.
 */
async function readBounded(
  response: Response,
  maxBytes: number,
): Promise<{ text: string; truncated: boolean }> {
  const declared = Number(response.headers.get('content-length'));
  if (!response.body) return { text: '', truncated: false };
  if (
    Number.isFinite(declared) &&
    declared > maxBytes &&
    response.headers.get('content-encoding') === null
  ) {
    await response.body.cancel().catch(() => undefined);
    return { text: '', truncated: true };
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { text: text + decoder.decode(), truncated: false };
    const room = maxBytes - bytes;
    bytes += value.byteLength;
    if (value.byteLength > room) {
      text += decoder.decode(value.subarray(0, room));
      await reader.cancel().catch(() => undefined);
      return { text: text.slice(0, Math.max(0, text.length - CUT_MARGIN)), truncated: true };
    }
    text += decoder.decode(value, { stream: true });
  }
}
