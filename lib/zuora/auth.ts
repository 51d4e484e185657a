/**
 * OAuth client-credentials tokens. Zuora rate-limits `/oauth/token` per IP and tokens live an
 * hour, so one token serves a whole warm container until it is close to expiry, and concurrent
 * callers share a single in-flight request for it.
 */

import type { ZuoraCredentials } from './credentials.ts';
import type { HttpTransport } from './http.ts';
import { parseTokenResponse } from './model.ts';

/** Where a token is asked for: a failure there is the run's, never one job's. */
export const TOKEN_PATH = '/oauth/token';

/** A token is replaced this long before Zuora would expire it. */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;

interface CachedToken {
  readonly key: string;
  readonly value: string;
  readonly refreshAt: number;
}

/**
 * Caches one access token per client id and base URL. Create it once per process (module scope
 * in Lambda) and hand it to every run's client.
 */
export class TokenCache {
  #token: CachedToken | undefined;
  #inflight: { key: string; promise: Promise<CachedToken> } | undefined;
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  /**
   * Returns a valid token for `credentials`, minting one through `transport` only when there is
   * none, it is within {@link TOKEN_REFRESH_MARGIN_MS} of expiry, or it was invalidated.
   */
  async get(transport: HttpTransport, credentials: ZuoraCredentials): Promise<string> {
    const key = `${credentials.baseUrl}|${credentials.clientId}`;
    const cached = this.#token;
    if (cached && cached.key === key && cached.refreshAt > this.#now()) return cached.value;
    if (this.#inflight?.key !== key) {
      const promise = this.#mint(transport, credentials, key).finally(() => {
        if (this.#inflight?.promise === promise) this.#inflight = undefined;
      });
      this.#inflight = { key, promise };
    }
    return (await this.#inflight.promise).value;
  }

  /** Forgets `token` (Zuora rejected it), so the next {@link get} mints a new one. */
  invalidate(token: string): void {
    if (this.#token?.value === token) this.#token = undefined;
  }

  /** Forgets every token, for example after the credentials were rotated. */
  clear(): void {
    this.#token = undefined;
  }

  async #mint(
    transport: HttpTransport,
    credentials: ZuoraCredentials,
    key: string,
  ): Promise<CachedToken> {
    const issuedAt = this.#now();
    const response = await transport.send({
      method: 'POST',
      path: TOKEN_PATH,
      form: {
        client_id: credentials.clientId,
        client_secret: credentials.clientSecret,
        grant_type: 'client_credentials',
      },
      parse: parseTokenResponse,
    });
    const lifetimeMs = response.data.expires_in * 1000;
    // Short-lived tokens (under 10 minutes) are used for half their life instead.
    const usable = Math.max(lifetimeMs - TOKEN_REFRESH_MARGIN_MS, lifetimeMs / 2);
    const token = { key, value: response.data.access_token, refreshAt: issuedAt + usable };
    this.#token = token;
    return token;
  }
}
