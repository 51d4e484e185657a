/**
 * The token cache alone, with a scripted transport: which key a token belongs to, the exact
 * instant it is replaced, what invalidating and clearing forget, and one mint per key at a time.
 */
import { describe, expect, it } from 'vitest';
import { TOKEN_REFRESH_MARGIN_MS, TokenCache } from '../../lib/zuora/auth.ts';
import type { HttpRequest, HttpTransport } from '../../lib/zuora/http.ts';

const A = { clientId: 'id-a', clientSecret: 's-a', baseUrl: 'https://rest.zuora.com' };

/** A transport that mints `t1`, `t2`, … (an hour each), or fails when told to. */
function minting() {
  const forms: Array<Record<string, string> | undefined> = [];
  let failNext = false;
  const transport = {
    send: async (request: HttpRequest<unknown>) => {
      forms.push(request.form);
      if (failNext) {
        failNext = false;
        throw new Error('token endpoint down');
      }
      const body = { access_token: `t${forms.length}`, expires_in: 3_600 };
      return { data: request.parse(body), status: 200, requestId: undefined, attempts: 1 };
    },
  } as unknown as HttpTransport;
  return {
    transport,
    forms,
    failOnce: () => {
      failNext = true;
    },
  };
}

describe('TokenCache', () => {
  it('mints with the client credentials grant and keeps the token per base URL and client id', async () => {
    const { transport, forms } = minting();
    const cache = new TokenCache({ now: () => 0 });

    expect(await cache.get(transport, A)).toBe('t1');
    expect(await cache.get(transport, A)).toBe('t1');
    expect(await cache.get(transport, { ...A, clientId: 'id-b' })).toBe('t2');
    expect(await cache.get(transport, { ...A, baseUrl: 'https://rest.eu.zuora.com' })).toBe('t3');
    expect(forms[0]).toEqual({
      client_id: 'id-a',
      client_secret: 's-a',
      grant_type: 'client_credentials',
    });
  });

  it('replaces a token at exactly its refresh instant, not a millisecond before', async () => {
    const { transport } = minting();
    let now = 0;
    const cache = new TokenCache({ now: () => now });
    await cache.get(transport, A);

    now = 3_600_000 - TOKEN_REFRESH_MARGIN_MS - 1;
    expect(await cache.get(transport, A)).toBe('t1');
    now += 1;
    expect(await cache.get(transport, A)).toBe('t2');
  });

  it('forgets only the token it is told was rejected, and everything on clear', async () => {
    const { transport } = minting();
    const cache = new TokenCache({ now: () => 0 });
    cache.invalidate('never-issued');
    await cache.get(transport, A);

    cache.invalidate('t0');
    expect(await cache.get(transport, A)).toBe('t1');
    cache.invalidate('t1');
    expect(await cache.get(transport, A)).toBe('t2');
    cache.clear();
    expect(await cache.get(transport, A)).toBe('t3');
  });

  it('shares one mint between concurrent callers, and mints again after one failed', async () => {
    const { transport, forms, failOnce } = minting();
    const cache = new TokenCache({ now: () => 0 });
    failOnce();

    const failed = await Promise.allSettled([cache.get(transport, A), cache.get(transport, A)]);
    expect(failed.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(forms).toHaveLength(1);

    expect(await cache.get(transport, A)).toBe('t2');
  });

  it('lets a mint for another client start while one is in flight, and keeps the later one in flight', async () => {
    const { transport, forms } = minting();
    const cache = new TokenCache({ now: () => 0 });
    const B = { ...A, clientId: 'id-b' };

    const first = cache.get(transport, A);
    const second = cache.get(transport, B);
    const third = cache.get(transport, B);
    expect(await Promise.all([first, second, third])).toEqual(['t1', 't2', 't2']);
    expect(forms).toHaveLength(2);
  });

  it('keeps the newer mint in flight when an older one for another client settles', async () => {
    const pending: Array<() => void> = [];
    const forms: unknown[] = [];
    const transport = {
      send: (request: HttpRequest<unknown>) => {
        forms.push(request.form);
        const body = { access_token: `t${forms.length}`, expires_in: 3_600 };
        return new Promise((resolve) => {
          pending.push(() =>
            resolve({ data: request.parse(body), status: 200, requestId: undefined, attempts: 1 }),
          );
        });
      },
    } as unknown as HttpTransport;
    const cache = new TokenCache({ now: () => 0 });
    const B = { ...A, clientId: 'id-b' };

    const forA = cache.get(transport, A);
    const forB = cache.get(transport, B);
    pending[0]?.();
    expect(await forA).toBe('t1');
    const againForB = cache.get(transport, B);
    pending[1]?.();

    expect(await Promise.all([forB, againForB])).toEqual(['t2', 't2']);
    expect(forms).toHaveLength(2);
  });
});
