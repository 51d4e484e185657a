/**
 * The rule for Zuora base URLs: https to any host (new data centres keep working), or plain
 * http only to a loopback address, for local runs and tests. Credentials must never cross the
 * network in clear text, so "loopback" means exactly `localhost`, `[::1]` and IPv4 literals in
 * 127.0.0.0/8 — not a host name that merely starts with `127.`.
 */

/** An IPv4 literal in 127.0.0.0/8, as the URL parser normalises it (`127.1` → `127.0.0.1`). */
const LOOPBACK_IPV4 =
  /^127\.(25[0-5]|2[0-4]\d|1?\d?\d)\.(25[0-5]|2[0-4]\d|1?\d?\d)\.(25[0-5]|2[0-4]\d|1?\d?\d)$/;

/** True for `localhost`, `[::1]` and IPv4 literals in 127.0.0.0/8. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || LOOPBACK_IPV4.test(hostname);
}

/**
 * Why `value` is not an acceptable Zuora base URL (`must use https …`), or undefined when it is.
 */
export function baseUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be a valid URL';
  }
  const loopback = isLoopbackHost(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    // The scheme only, never the host: the URL may come from a secret, whose values are not
    // repeated.
    const got =
      url.protocol === 'http:' ? 'http to a host that is not a loopback address' : 'another scheme';
    return `must use https (plain http is allowed only to a loopback address), got ${got}`;
  }
  if (url.username || url.password || url.search || url.hash) {
    return 'must not contain credentials, a query or a fragment';
  }
  // `//host` at the start of a path names another host to anything that resolves a path
  // against the URL: an empty segment has no use in a Zuora base URL, so none is allowed
  // (slashes that end it are dropped, as ever).
  if (/\/\/+[^/]/.test(url.pathname)) return 'must not have an empty path segment (//)';
  return undefined;
}
