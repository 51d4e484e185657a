/**
 * How every AWS SDK client here bounds a request. The SDK's `requestTimeout` on its own only logs
 * a warning and keeps waiting for as long as the server holds the socket open: a stale
 * keep-alive connection could then use up a run. With `throwOnRequestTimeout` the attempt fails
 * as a `TimeoutError`, which the SDK's retry strategy treats as transient and tries again on a
 * fresh connection, within the caller's own deadline (its abort signal).
 */

/** How long opening a connection may take. */
const CONNECTION_TIMEOUT_MS = 2_000;

/** `requestHandler` options that give up on one attempt after `requestTimeoutMs`. */
export function boundedRequests(requestTimeoutMs: number) {
  return {
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    requestTimeout: requestTimeoutMs,
    throwOnRequestTimeout: true,
  } as const;
}
