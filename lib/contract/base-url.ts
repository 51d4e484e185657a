/**
 * The rule for Zuora base URLs: https to any host (new data centres keep working), or plain
 * http only to a loopback host, for local runs and tests. Credentials must never cross the
 * network in clear text.
 */

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

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
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || url.hostname.startsWith('127.');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    return `must use https (plain http is allowed only to a loopback host), got ${url.protocol}//${url.host}`;
  }
  if (url.username || url.password || url.search || url.hash) {
    return 'must not contain credentials, a query or a fragment';
  }
  return undefined;
}
