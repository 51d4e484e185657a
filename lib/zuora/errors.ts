/**
 * The error hierarchy of the Zuora client.
 *
 * Every error carries what an operator needs to find the call in Zuora's logs (method, path,
 * status, Zuora `code`, `Zuora-Request-Id`) and nothing secret: messages are built only from
 * values the client controls or has already scrubbed, and no request header or form body is
 * ever attached.
 */

/** Base class of every error the Zuora client throws. */
export class ZuoraError extends Error {
  override name = 'ZuoraError';
}

/** What went wrong with an HTTP response, so callers can branch without matching strings. */
export type ZuoraErrorKind =
  /** 400 with code 1003: the job is no longer `accepted` or `in_progress`. */
  | 'already-finished'
  /** 404: the job does not exist (or is not visible to this client). */
  | 'not-found'
  /** 403: the client may not see or change this resource. */
  | 'forbidden'
  /** 401: the credentials or the token were rejected. */
  | 'unauthorized'
  /** 429: throttled, after every retry the deadline allowed. */
  | 'rate-limited'
  /** 5xx, after every retry the deadline allowed. */
  | 'server'
  /** Any other 4xx. */
  | 'client';

/** Where a request went, as reported in errors (no query string, no headers, no body). */
export interface RequestTarget {
  readonly method: string;
  readonly path: string;
}

/** Fields of an HTTP error response, parsed leniently from any of Zuora's error shapes. */
export interface ZuoraHttpErrorDetails extends RequestTarget {
  readonly status: number;
  readonly code?: number | string | undefined;
  readonly zuoraMessage?: string | undefined;
  readonly requestId?: string | undefined;
  readonly attempts: number;
}

/** Zuora answered with a non-2xx status that the client does not (or no longer) retry. */
export class ZuoraHttpError extends ZuoraError {
  override name = 'ZuoraHttpError';
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** Zuora's error code (`1003`, `1001`, `90000011`, …) when the body had one. */
  readonly code: number | string | undefined;
  readonly zuoraMessage: string | undefined;
  readonly requestId: string | undefined;
  /** How many requests were sent, retries included. */
  readonly attempts: number;
  readonly kind: ZuoraErrorKind;

  constructor(details: ZuoraHttpErrorDetails, options?: ErrorOptions) {
    const code = details.code === undefined ? '' : ` code ${details.code}`;
    const text = details.zuoraMessage ? `: ${details.zuoraMessage}` : '';
    const requestId = details.requestId ? ` (Zuora-Request-Id ${details.requestId})` : '';
    super(
      `${details.method} ${details.path} failed with HTTP ${details.status}${code}${text}${requestId}`,
      options,
    );
    this.method = details.method;
    this.path = details.path;
    this.status = details.status;
    this.code = details.code;
    this.zuoraMessage = details.zuoraMessage;
    this.requestId = details.requestId;
    this.attempts = details.attempts;
    this.kind = classify(details.status, details.code);
  }

  /** The same error counting `earlier` more attempts (a call repeated after a token refresh). */
  after(earlier: number): ZuoraHttpError {
    return new ZuoraHttpError(
      { ...this, attempts: this.attempts + earlier },
      { cause: this.cause },
    );
  }
}

function classify(status: number, code: number | string | undefined): ZuoraErrorKind {
  if (status === 400 && Number(code) === 1003) return 'already-finished';
  if (status === 404) return 'not-found';
  if (status === 403) return 'forbidden';
  if (status === 401) return 'unauthorized';
  if (status === 429) return 'rate-limited';
  if (status >= 500) return 'server';
  return 'client';
}

/** The request never produced a response: connection refused or dropped, or it timed out. */
export class ZuoraNetworkError extends ZuoraError {
  override name = 'ZuoraNetworkError';
  readonly method: string;
  readonly path: string;
  readonly attempts: number;
  readonly timedOut: boolean;

  constructor(
    target: RequestTarget & { attempts: number; timedOut: boolean },
    options?: ErrorOptions,
  ) {
    const what = target.timedOut ? 'timed out' : 'could not reach Zuora';
    super(`${target.method} ${target.path} ${what} after ${target.attempts} attempt(s)`, options);
    this.method = target.method;
    this.path = target.path;
    this.attempts = target.attempts;
    this.timedOut = target.timedOut;
  }
}

/** Zuora answered 2xx but the body was not what the API promises (not JSON, wrong shape). */
export class ZuoraResponseError extends ZuoraError {
  override name = 'ZuoraResponseError';
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly requestId: string | undefined;

  constructor(
    target: RequestTarget & { status: number; requestId?: string | undefined; problem: string },
    options?: ErrorOptions,
  ) {
    const requestId = target.requestId ? ` (Zuora-Request-Id ${target.requestId})` : '';
    super(
      `${target.method} ${target.path} returned an invalid response: ${target.problem}${requestId}`,
      options,
    );
    this.method = target.method;
    this.path = target.path;
    this.status = target.status;
    this.requestId = target.requestId;
  }
}

/**
 * The run's deadline left no time to start (or wait for) another request, or the run was
 * interrupted. The work is not done, and not failed: it is deferred to a later run. `cause` is
 * the retryable error that was being waited out, if any.
 */
export class DeadlineExceededError extends ZuoraError {
  override name = 'DeadlineExceededError';
  readonly method: string;
  readonly path: string;
  readonly interrupted: boolean;
  /** The wait (a retry's, or one Zuora asked for) that would have outlasted the run, if any. */
  readonly waitMs: number | undefined;

  constructor(
    target: RequestTarget & {
      interrupted?: boolean | undefined;
      waitMs?: number | undefined;
    },
    options?: ErrorOptions,
  ) {
    const why = target.interrupted
      ? 'the run was interrupted'
      : target.waitMs === undefined
        ? "the run's deadline is too close"
        : `a ${waitSeconds(target.waitMs)} s wait would outlast the run's deadline`;
    const after = options?.cause instanceof ZuoraError ? ` (after: ${options.cause.message})` : '';
    super(`${target.method} ${target.path} not sent: ${why}${after}`, options);
    this.method = target.method;
    this.path = target.path;
    this.interrupted = target.interrupted ?? false;
    this.waitMs = target.waitMs;
  }
}

/** A wait in whole seconds, rounded up: `Retry-After: 3600` reads as 3600, 200 ms as 1. */
export function waitSeconds(ms: number): number {
  return Math.ceil(ms / 1000);
}

/** The base URL is not an allowed Zuora endpoint (https, or http to a loopback host). */
export class InvalidBaseUrlError extends ZuoraError {
  override name = 'InvalidBaseUrlError';
}

/** What a `Zuora-Request-Id` looks like; anything else a server sends there is not copied. */
const REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** The request id if it looks like one, else undefined: a server controls this header. */
export function safeRequestId(value: string | null | undefined): string | undefined {
  return value && REQUEST_ID.test(value) ? value : undefined;
}

/** `{code, message}` from any of Zuora's error shapes, or from a non-JSON body. */
export function parseErrorBody(text: string): { code?: number | string; message?: string } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    const plain = text
      .replace(/<[^>]*>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    return plain ? { message: plain } : {};
  }
  if (typeof body !== 'object' || body === null) return {};
  const record = body as Record<string, unknown>;
  const first = (list: unknown) =>
    Array.isArray(list) && typeof list[0] === 'object' && list[0] !== null
      ? (list[0] as Record<string, unknown>)
      : undefined;
  // /query errors: {code, message}; /v1: {reasons:[{code,message}]}; CRUD: {Errors:[{Code,Message}]};
  // SOAP-ish: {FaultCode, FaultMessage}; OAuth: {error, error_description} or {message}.
  const source = first(record.reasons) ?? first(record.Errors) ?? record;
  const code = source.code ?? source.Code ?? source.FaultCode ?? source.error;
  const message =
    source.message ?? source.Message ?? source.FaultMessage ?? source.error_description;
  const result: { code?: number | string; message?: string } = {};
  if (typeof code === 'number' || typeof code === 'string') result.code = code;
  if (typeof message === 'string') result.message = message;
  return result;
}
