/**
 * The HTTP layer on a virtual clock: the deadline it never overruns (at the exact boundaries),
 * the run-wide gate a 429 or a spent quota closes, what it keeps of a failure, and how it reads
 * bodies it does not trust. `fetch` is scripted with real `Response` objects; the emulator tests
 * (`test/integration/zuora-client.test.ts`) cover the same layer over real sockets.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DeadlineExceededError,
  ZuoraHttpError,
  ZuoraNetworkError,
  ZuoraResponseError,
} from '../../lib/zuora/errors.ts';
import {
  HttpTransport,
  type HttpTransportOptions,
  MAX_RESPONSE_BYTES,
  RequestGate,
} from '../../lib/zuora/http.ts';
import { recordingLog } from '../support/zuora-client.ts';

type Script = (url: URL, init: RequestInit) => Response | Promise<Response>;

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
const ok = (headers: Record<string, string> = {}) => json(200, { data: [] }, headers);
const bytes = (...chunks: Uint8Array[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });

/** A transport on a virtual clock starting at 0; `sleep` moves the clock. */
function transport(script: Script[], options: Partial<HttpTransportOptions> = {}) {
  let clock = 0;
  const sleeps: number[] = [];
  const calls: Array<{ url: URL; init: RequestInit }> = [];
  const fetch = vi.fn(async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(String(input));
    calls.push({ url, init });
    const step = script[calls.length - 1];
    if (!step) throw new Error(`unexpected request ${calls.length}`);
    return step(url, init);
  });
  const http = new HttpTransport({
    baseUrl: 'https://rest.zuora.com',
    trackId: 'qj-test',
    deadline: 60_000,
    fetch: fetch as typeof globalThis.fetch,
    now: () => clock,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    ...options,
  });
  return {
    http,
    sleeps,
    calls,
    at: (ms: number) => {
      clock = ms;
    },
  };
}

const list = { method: 'GET' as const, path: '/query/jobs', parse: (body: unknown) => body };
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e,
  );

afterEach(() => {
  vi.useRealTimers();
});

describe('the request', () => {
  it('carries the run headers, under the base path however many slashes end it', async () => {
    const { http, calls } = transport([() => ok()], {
      baseUrl: 'https://rest.zuora.com/sandbox//',
      orgIds: ['org-1', 'org-2'],
    });

    await http.send({ ...list, query: { pageSize: 100 } });

    const [call] = calls;
    expect(call?.url.href).toBe('https://rest.zuora.com/sandbox/query/jobs?pageSize=100');
    expect(call?.init.headers).toEqual({
      accept: 'application/json',
      'accept-encoding': 'gzip',
      'user-agent': 'query-janitor',
      'zuora-track-id': 'qj-test',
      'zuora-org-ids': 'org-1,org-2',
    });
  });

  it('sets a path that starts with // under the base URL, never resolves it to another host', async () => {
    const { http, calls } = transport([() => ok()]);

    await http.send({ ...list, path: '//collector.example/x' });

    expect(calls[0]?.url.host).toBe('rest.zuora.com');
    expect(calls[0]?.url.pathname).toBe('//collector.example/x');
  });

  it('refuses a track id Zuora would reject', () => {
    expect(() => transport([], { trackId: 'qj test\n' })).toThrow();
  });
});

describe('the deadline', () => {
  it('sends nothing with less than a minimum attempt left, and sends with exactly that', async () => {
    const short = transport([() => ok()], { deadline: 999 });
    const error = await failure(short.http.send(list));
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect((error as Error).message).toBe(
      "GET /query/jobs not sent: the run's deadline is too close",
    );
    expect(short.calls).toHaveLength(0);

    const exact = transport([() => ok()], { deadline: 1_000 });
    await expect(exact.http.send(list)).resolves.toMatchObject({ status: 200, attempts: 1 });
  });

  it('waits out a Retry-After that fits exactly, and gives up on one that does not', async () => {
    const busy = () => json(503, { message: 'busy' }, { 'retry-after': '5' });
    // After the first attempt at 0: 5 s of waiting, then 1 s for the attempt itself.
    const gate = new RequestGate();
    const fits = transport([busy, () => ok()], { deadline: 6_000, gate });
    await expect(fits.http.send(list)).resolves.toMatchObject({ attempts: 2 });
    expect(fits.sleeps).toEqual([5_000]);
    // A Retry-After speaks for the tenant, even on a 503: the whole run waited.
    expect(gate.notBefore).toBe(5_000);

    const lateGate = new RequestGate();
    const late = transport([busy, () => ok()], { deadline: 5_999, gate: lateGate });
    const error = (await failure(late.http.send(list))) as DeadlineExceededError;
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(error.interrupted).toBe(false);
    expect(error.waitMs).toBe(5_000);
    expect(error.cause).toBeInstanceOf(ZuoraHttpError);
    expect(error.message).toBe(
      "GET /query/jobs not sent: a 5 s wait would outlast the run's deadline (after: GET /query/jobs failed with HTTP 503: busy)",
    );
    expect(late.calls).toHaveLength(1);
    expect(late.sleeps).toEqual([]);
    // The wait outlasts the run, but it was asked of the tenant: the rest of the run keeps quiet.
    expect(lateGate.notBefore).toBe(5_000);
  });

  it("closes the gate on a 429 that answers a request's last attempt, too", async () => {
    const gate = new RequestGate();
    const throttled = transport(
      [
        () => json(503, {}),
        () => json(503, {}),
        () => json(429, { message: 'slow down' }, { 'retry-after': '3600' }),
      ],
      { gate, retry: { maxAttempts: 3 } },
    );
    const error = await failure(throttled.http.send(list));
    // The request is out of attempts, but the tenant was asked for an hour's quiet.
    expect(error).toBeInstanceOf(ZuoraHttpError);
    expect((error as ZuoraHttpError).status).toBe(429);
    const slept = throttled.sleeps.reduce((total, ms) => total + ms, 0);
    expect(throttled.sleeps).toHaveLength(2);
    expect(gate.notBefore).toBe(slept + 3_600_000);
  });

  it('holds every request of the run when Zuora asks for a wait longer than the run', async () => {
    const gate = new RequestGate();
    const deadline = 10 * 60_000;
    const throttled = transport(
      [() => json(429, { message: 'slow down' }, { 'retry-after': '3600' })],
      { gate, deadline },
    );
    const error = (await failure(throttled.http.send(list))) as DeadlineExceededError;
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(error.waitMs).toBe(3_600_000);
    expect(gate.notBefore).toBe(3_600_000);

    // Another request of the run, a moment later: not sent, and it says why (3598.5 s: 3599).
    const other = transport([() => ok()], { gate, deadline });
    other.at(1_500);
    const held = (await failure(other.http.send(list))) as DeadlineExceededError;
    expect(held).toBeInstanceOf(DeadlineExceededError);
    expect(held.waitMs).toBe(3_598_500);
    expect(held.message).toBe(
      "GET /query/jobs not sent: a 3599 s wait would outlast the run's deadline",
    );
    expect(other.calls).toHaveLength(0);
    expect(other.sleeps).toEqual([]);
  });

  it('does not sleep a backoff that would leave less than a minimum attempt, and does when it fits', async () => {
    // The backoff is 125 ms (random 0.5 of 250 ms), then an attempt needs 1 s.
    const late = transport([() => json(503, {}), () => ok()], { deadline: 1_124 });
    const error = (await failure(late.http.send(list))) as DeadlineExceededError;
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(error.cause).toBeInstanceOf(ZuoraHttpError);
    expect(late.sleeps).toEqual([]);
    expect(late.calls).toHaveLength(1);

    const fits = transport([() => json(503, {}), () => ok()], { deadline: 1_125 });
    await expect(fits.http.send(list)).resolves.toMatchObject({ attempts: 2 });
    expect(fits.sleeps).toEqual([125]);
  });

  it('says the run was interrupted when its signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const { http, calls } = transport([() => ok()], { signal: controller.signal });

    const error = (await failure(http.send(list))) as DeadlineExceededError;

    expect(error.interrupted).toBe(true);
    expect(error.message).toBe('GET /query/jobs not sent: the run was interrupted');
    expect(calls).toHaveLength(0);
  });
});

describe('retries and the run-wide gate', () => {
  it('sleeps a backoff after a 5xx without closing the gate, counting the retry', async () => {
    const gate = new RequestGate();
    const log = recordingLog();
    const { http, sleeps } = transport([() => json(503, {}), () => ok()], { gate, log });

    await http.send(list);

    // Full jitter: random 0.5 of the first ceiling (250 ms).
    expect(sleeps).toEqual([125]);
    expect(gate.notBefore).toBe(0);
    expect(http.stats).toEqual({ requests: 2, retries: 1 });
    const twice = transport([() => json(503, {}), () => json(502, {}), () => ok()]);
    await twice.http.send(list);
    expect(twice.http.stats).toEqual({ requests: 3, retries: 2 });
    expect(log.records).toEqual([
      {
        level: 'debug',
        message: 'retrying Zuora request',
        attributes: {
          method: 'GET',
          path: '/query/jobs',
          attempt: 1,
          delayMs: 125,
          reason: 'ZuoraHttpError',
          status: 503,
        },
      },
    ]);
  });

  it('retries a network fault after a backoff without closing the gate, with no log given', async () => {
    const gate = new RequestGate();
    const { http, sleeps } = transport(
      [
        () => {
          throw new TypeError('fetch failed');
        },
        () => ok(),
      ],
      { gate },
    );

    await http.send(list);

    expect(sleeps).toEqual([125]);
    expect(gate.notBefore).toBe(0);
  });

  it('closes the gate for every request of the run after a 429, with or without Retry-After', async () => {
    const gate = new RequestGate();
    const log = recordingLog();
    const first = transport([() => json(429, {}, { 'retry-after': '2' }), () => ok()], {
      gate,
      log,
    });
    await first.http.send(list);
    expect(gate.notBefore).toBe(2_000);
    expect(first.sleeps).toEqual([2_000]);
    expect(log.records.map((record) => record.message)).toEqual([
      'retrying Zuora request',
      'pacing Zuora requests',
    ]);
    expect(log.records[1]?.attributes).toEqual({ waitMs: 2_000 });

    const throttled = new RequestGate();
    const second = transport([() => json(429, {}), () => ok()], { gate: throttled });
    await second.http.send(list);
    expect(throttled.notBefore).toBe(125);

    // Another request of the same run waits at the closed gate before it is sent.
    const other = transport([() => ok()], { gate: throttled });
    other.at(25);
    await other.http.send(list);
    expect(other.sleeps).toEqual([100]);
  });

  it('does not wait at an open gate, and gives up when the gate opens too late', async () => {
    const gate = new RequestGate();
    gate.holdUntil(10_000);
    const open = transport([() => ok()], { gate });
    open.at(10_000);
    await open.http.send(list);
    expect(open.sleeps).toEqual([]);

    const fits = transport([() => ok()], { gate, deadline: 11_000 });
    await fits.http.send(list);
    expect(fits.sleeps).toEqual([10_000]);

    const late = transport([() => ok()], { gate, deadline: 10_999 });
    expect(await failure(late.http.send(list))).toBeInstanceOf(DeadlineExceededError);
    expect(late.calls).toHaveLength(0);
    expect(late.sleeps).toEqual([]);
  });

  it('paces the run when the quota is nearly spent, by the limit it announces', async () => {
    const paced = (headers: Record<string, string>) => {
      const gate = new RequestGate();
      return transport([() => ok(headers)], { gate })
        .http.send(list)
        .then(() => gate.notBefore);
    };

    // Below a tenth of the limit: the rest of the window is spread over what remains.
    expect(
      await paced({
        'ratelimit-limit': '100',
        'ratelimit-remaining': '5',
        'ratelimit-reset': '12',
      }),
    ).toBe(2_000);
    expect(await paced({ 'ratelimit-remaining': '1', 'ratelimit-reset': '10' })).toBe(5_000);
    expect(await paced({ 'ratelimit-remaining': '0', 'ratelimit-reset': '10' })).toBe(10_000);
    expect(
      await paced({
        'ratelimit-limit': '100',
        'ratelimit-remaining': '10',
        'ratelimit-reset': '12',
      }),
    ).toBe(0);
    expect(await paced({ 'ratelimit-reset': '10' })).toBe(0);
    expect(await paced({ 'ratelimit-remaining': '1' })).toBe(0);
  });
});

describe('what a failure keeps', () => {
  it('bounds the code and message of an error body, and keeps a number code as it is', async () => {
    const long = transport([() => json(400, { code: 'C'.repeat(100), message: 'm'.repeat(500) })]);
    const error = (await failure(long.http.send(list))) as ZuoraHttpError;
    expect(error).toBeInstanceOf(ZuoraHttpError);
    expect(error.code).toBe('C'.repeat(64));
    expect(error.zuoraMessage).toBe('m'.repeat(300));
    expect(error.requestId).toBeUndefined();

    const bare = transport([
      () => json(404, {}, { 'zuora-request-id': 'e6b2c9f0-1111-4a4a-9b9b-0c0c0c0c0c0c' }),
    ]);
    const notFound = (await failure(bare.http.send(list))) as ZuoraHttpError;
    expect(notFound.code).toBeUndefined();
    expect(notFound.zuoraMessage).toBeUndefined();
    expect(notFound.requestId).toBe('e6b2c9f0-1111-4a4a-9b9b-0c0c0c0c0c0c');

    const numbered = transport([() => json(400, { code: 1002, message: 'bad' })]);
    expect(await failure(numbered.http.send(list))).toMatchObject({ code: 1002 });
  });

  it('reads an error answer without a body as one without a message', async () => {
    const { http } = transport([() => new Response(null, { status: 503 })], {
      retry: { maxAttempts: 1 },
    });

    const error = (await failure(http.send(list))) as ZuoraHttpError;

    expect(error).toBeInstanceOf(ZuoraHttpError);
    expect(error.status).toBe(503);
    expect(error.zuoraMessage).toBeUndefined();
  });

  it.each([
    ['ECONNREFUSED', 'ECONNREFUSED'],
    ['x-ECONNREFUSED', undefined],
    ['ECONNREFUSED-x', undefined],
    ['E'.repeat(33), undefined],
  ])('keeps a network fault as its class, detail and a code like %j', async (code, kept) => {
    const fault = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect refused 127.0.0.1:9'), { code }),
    });
    const { http } = transport(
      [
        () => {
          throw fault;
        },
      ],
      { retry: { maxAttempts: 1 } },
    );

    const error = (await failure(http.send(list))) as ZuoraNetworkError;

    expect(error).toBeInstanceOf(ZuoraNetworkError);
    expect(error.timedOut).toBe(false);
    const cause = error.cause as Error & { code?: string };
    expect(cause.name).toBe('TypeError');
    expect(cause.message).toBe('fetch failed: connect refused 127.0.0.1:9');
    expect(cause.code).toBe(kept);
    expect(Object.hasOwn(cause, 'code')).toBe(kept !== undefined);
  });

  it('keeps a fault that is not an Error as "request failed"', async () => {
    const { http } = transport(
      [
        () => {
          throw 'socket hang up';
        },
      ],
      { retry: { maxAttempts: 1 } },
    );

    const error = (await failure(http.send(list))) as ZuoraNetworkError;

    expect((error.cause as Error).message).toBe('request failed');
  });

  it('says a request timed out', async () => {
    const { http } = transport(
      [
        (_url, init) =>
          new Promise<Response>((_resolve, reject) => {
            init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
          }),
      ],
      { retry: { maxAttempts: 1, requestTimeoutMs: 5 } },
    );

    const error = (await failure(http.send(list))) as ZuoraNetworkError;

    expect(error.timedOut).toBe(true);
    expect(error.message).toBe('GET /query/jobs timed out after 1 attempt(s)');
    expect((error.cause as Error).message).toBe('request timed out');
  });

  it('reports a parser that throws something other than an Error as an unexpected shape', async () => {
    const { http } = transport([() => ok()]);

    const error = await failure(
      http.send({
        ...list,
        parse: () => {
          throw 'no';
        },
      }),
    );

    expect(error).toBeInstanceOf(ZuoraResponseError);
    expect((error as Error).message).toBe(
      'GET /query/jobs returned an invalid response: unexpected shape',
    );
  });
});

describe('bodies it does not trust', () => {
  const decodingFault = () => new TypeError('terminated', { cause: { code: 'Z_DATA_ERROR' } });
  /** An answer whose body fails with `reason` when it is read. */
  const failingBody = (reason: unknown, init?: ResponseInit) =>
    new Response(
      new ReadableStream({
        pull(controller) {
          controller.error(reason);
        },
      }),
      init,
    );

  it('tells a body that is not the encoding it claims from a network fault', async () => {
    const broken = (headers: Record<string, string>) => () =>
      failingBody(decodingFault(), { status: 200, headers });
    const gzip = transport([broken({ 'content-encoding': 'gzip' })]);
    expect(await failure(gzip.http.send(list))).toEqual(
      new ZuoraResponseError({
        method: 'GET',
        path: '/query/jobs',
        status: 200,
        problem: 'body could not be decoded as the gzip it claims',
      }),
    );

    const unnamed = transport([broken({})]);
    expect(((await failure(unnamed.http.send(list))) as Error).message).toMatch(
      /decoded as the declared it claims$/,
    );
  });

  it('treats the same fault before any answer, or a code that only contains Z_, as the network', async () => {
    const before = transport(
      [
        () => {
          throw decodingFault();
        },
      ],
      { retry: { maxAttempts: 1 } },
    );
    expect(await failure(before.http.send(list))).toBeInstanceOf(ZuoraNetworkError);

    const lookalike = transport(
      [() => failingBody(new TypeError('x', { cause: { code: 'EZ_X' } }))],
      { retry: { maxAttempts: 1 } },
    );
    expect(await failure(lookalike.http.send(list))).toBeInstanceOf(ZuoraNetworkError);

    const nothing = transport([() => failingBody(undefined)], { retry: { maxAttempts: 1 } });
    expect(await failure(nothing.http.send(list))).toBeInstanceOf(ZuoraNetworkError);
  });

  it('refuses a success body declared larger than the bound without reading it', async () => {
    const over = String(MAX_RESPONSE_BYTES + 1);
    const body = JSON.stringify({ data: [] });
    const declared = transport([() => new Response(body, { headers: { 'content-length': over } })]);
    expect(((await failure(declared.http.send(list))) as Error).message).toBe(
      'GET /query/jobs returned an invalid response: body larger than 16 MiB: not read',
    );

    // A compressed body's declared length says nothing about what it decodes to: it is read.
    const compressed = transport([
      () => new Response(body, { headers: { 'content-length': over, 'content-encoding': 'gzip' } }),
    ]);
    await expect(compressed.http.send(list)).resolves.toMatchObject({ data: { data: [] } });

    const exact = transport([
      () => new Response(body, { headers: { 'content-length': String(MAX_RESPONSE_BYTES) } }),
    ]);
    await expect(exact.http.send(list)).resolves.toMatchObject({ data: { data: [] } });
  });

  it('reads a body of exactly the bound, and refuses one byte more', async () => {
    const padded = (size: number) => {
      const text = new TextEncoder().encode('{"data":[]}');
      const chunk = new Uint8Array(size).fill(0x20);
      chunk.set(text);
      return chunk;
    };
    const exact = transport([() => new Response(bytes(padded(MAX_RESPONSE_BYTES)))]);
    await expect(exact.http.send(list)).resolves.toMatchObject({ data: { data: [] } });

    const over = transport([() => new Response(bytes(padded(MAX_RESPONSE_BYTES + 1)))]);
    expect(((await failure(over.http.send(list))) as Error).message).toMatch(/larger than 16 MiB/);
  });

  it('decodes characters split across chunks', async () => {
    const text = new TextEncoder().encode('{"data":"é"}');
    const split = text.indexOf(0xc3) + 1;
    const { http } = transport([
      () => new Response(bytes(text.subarray(0, split), text.subarray(split))),
    ]);

    await expect(http.send(list)).resolves.toMatchObject({ data: { data: 'é' } });
  });

  it('reads a success without a body as not JSON', async () => {
    const { http } = transport([() => new Response(null, { status: 200 })]);

    expect(((await failure(http.send(list))) as Error).message).toMatch(/body is not JSON$/);
  });
});

describe('waiting with the real timer', () => {
  it('stops waiting out a backoff at once when the run is interrupted, leaving no timer', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const { http, calls } = transport([() => json(503, {})], {
      signal: controller.signal,
      sleep: undefined,
      now: Date.now,
      deadline: Date.now() + 60_000,
      random: () => 0.99,
    });

    const sent = failure(http.send(list));
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(1);
    controller.abort();
    const error = (await sent) as DeadlineExceededError;

    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(error.interrupted).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not start waiting when the run was interrupted during the attempt', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const { http } = transport(
      [
        () => {
          controller.abort();
          return json(503, {});
        },
      ],
      { signal: controller.signal, sleep: undefined, now: Date.now, deadline: Date.now() + 60_000 },
    );

    const error = await failure(http.send(list));

    expect(error).toMatchObject({ interrupted: true });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('clears its request timer once the answer is read', async () => {
    vi.useFakeTimers();
    const { http } = transport([() => ok()], { now: Date.now, deadline: Date.now() + 60_000 });

    await http.send(list);

    expect(vi.getTimerCount()).toBe(0);
  });
});
