/**
 * An AWS SDK error in words that are safe to log: the error's class, its HTTP status or network
 * code, and fixed sentences. Never the SDK's message, which can carry request metadata.
 */

/** Network error codes, in words. */
const NETWORK_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/** The error's class when it reads as one (`ThrottlingException`), else `Error`. */
export function sdkErrorName(error: unknown): string {
  const name = error instanceof Error ? error.name : 'Error';
  return /^[A-Za-z]{1,64}$/.test(name) ? name : 'Error';
}

/**
 * Why an AWS call failed, e.g. `ThrottlingException, HTTP 400`, `connection refused
 * (ECONNREFUSED)`, `no answer in time, on every try (TimeoutError)`. `abortedBy` names what a
 * caller's abort signal stood for (the run's deadline, a bound of its own).
 */
export function describeSdkError(error: unknown, abortedBy: string): string {
  const name = sdkErrorName(error);
  if (name === 'AbortError') return `no answer before ${abortedBy}`;
  if (name === 'TimeoutError') return 'no answer in time, on every try (TimeoutError)';
  const code = networkCode(error);
  if (code) return `${NETWORK_CODES[code] ?? 'network error'} (${code})`;
  const status = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode;
  return typeof status === 'number' ? `${name}, HTTP ${status}` : name;
}

/** The Node.js network error code of an SDK error or its cause, if it has a plain one. */
function networkCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 3; depth++) {
    const code = (current as { code?: unknown }).code;
    // System error codes (ECONNREFUSED, EAI_AGAIN), not Node's own ERR_* ones.
    if (typeof code === 'string' && /^E(?!RR_)[A-Z_]{2,30}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
