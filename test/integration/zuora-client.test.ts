import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TokenCache } from '../../lib/zuora/auth.ts';
import { type CredentialSource, StaticCredentials } from '../../lib/zuora/credentials.ts';
import {
  DeadlineExceededError,
  ZuoraHttpError,
  ZuoraNetworkError,
  ZuoraResponseError,
} from '../../lib/zuora/errors.ts';
import { WITHHELD } from '../../lib/zuora/redact.ts';
import { defaultClient, queryError, ZuoraEmulator } from '../emulator/zuora.ts';
import { clientFor } from '../support/zuora-client.ts';

let zuora: ZuoraEmulator;

beforeEach(async () => {
  zuora = await ZuoraEmulator.start();
});

afterEach(async () => {
  await zuora.close();
});

describe('retries', () => {
  it.each([429, 500, 502, 503, 504])(
    'retries HTTP %i up to the attempt cap (5 requests)',
    async (status) => {
      // Arrange
      zuora.inject({ kind: 'status', status }, { route: 'list', times: 99 });
      // A clock that moves only when the client sleeps: a 429 holds the run's gate until a time
      // on that clock, and a real one could pass a short jittered wait before it is checked.
      let clock = Date.now();
      const { client, sleeps } = clientFor(zuora, {
        now: () => clock,
        sleep: async (ms: number) => {
          sleeps.push(ms);
          clock += ms;
        },
      });

      // Act
      const error = await client.listJobs('accepted').catch((e: unknown) => e);

      // Assert
      expect(error).toBeInstanceOf(ZuoraHttpError);
      expect((error as ZuoraHttpError).status).toBe(status);
      expect((error as ZuoraHttpError).attempts).toBe(5);
      expect(zuora.requestsTo('list')).toHaveLength(5);
      expect(sleeps).toHaveLength(4);
    },
  );

  it.each([400, 403, 404])('never retries HTTP %i', async (status) => {
    zuora.inject(queryError(status, 1002, 'no'), { route: 'list', times: 99 });
    const { client, sleeps } = clientFor(zuora);

    const error = await client.listJobs('accepted').catch((e: unknown) => e);

    expect((error as ZuoraHttpError).status).toBe(status);
    expect(zuora.requestsTo('list')).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('recovers when a transient fault clears before the cap', async () => {
    zuora.addJob({ ageMinutes: 300 });
    zuora.inject({ kind: 'status', status: 503 }, { route: 'list', times: 2 });
    const { client } = clientFor(zuora);

    const page = await client.listJobs('accepted');

    expect(page.jobs).toHaveLength(1);
    expect(zuora.requestsTo('list').map((r) => r.status)).toEqual([503, 503, 200]);
    expect(client.stats).toEqual({ requests: 4, retries: 2 });
  });

  it('retries a dropped connection', async () => {
    zuora.inject({ kind: 'drop' }, { route: 'list', times: 2 });
    const { client } = clientFor(zuora);

    const page = await client.listJobs('accepted');

    expect(page.jobs).toEqual([]);
    expect(zuora.requestsTo('list')).toHaveLength(3);
  });

  it('gives up on a connection that keeps dropping with a network error', async () => {
    zuora.inject({ kind: 'drop' }, { route: 'list', times: 99 });
    const { client } = clientFor(zuora);

    const error = await client.listJobs('accepted').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ZuoraNetworkError);
    expect((error as ZuoraNetworkError).attempts).toBe(5);
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it('aborts an attempt that exceeds the per-request timeout and retries it', async () => {
    zuora.inject({ kind: 'delay', ms: 1_000 }, { route: 'list', times: 1 });
    const { client } = clientFor(zuora, { retry: { requestTimeoutMs: 200, minAttemptMs: 50 } });

    const page = await client.listJobs('accepted');

    expect(page.jobs).toEqual([]);
    expect(zuora.requestsTo('list')).toHaveLength(2);
  });

  it('uses full-jitter exponential backoff bounded by the cap', async () => {
    zuora.inject({ kind: 'status', status: 500 }, { route: 'list', times: 99 });
    const { client, sleeps } = clientFor(zuora, {
      random: () => 0.999,
      retry: { baseDelayMs: 100, maxDelayMs: 500 },
    });

    await client.listJobs('accepted').catch(() => undefined);

    expect(sleeps).toEqual([99, 199, 399, 499]);
  });
});

describe('Retry-After', () => {
  it('takes precedence over the backoff when given in seconds', async () => {
    zuora.inject({ kind: 'status', status: 429, retryAfter: '3' }, { route: 'list' });
    // A clock that does not move: the wait is taken at the gate, a moment after it was set.
    const now = Date.now();
    const { client, sleeps } = clientFor(zuora, { random: () => 0, now: () => now });

    await client.listJobs('accepted');

    expect(sleeps).toEqual([3_000]);
  });

  it('takes precedence over the backoff when given as an HTTP date', async () => {
    const at = new Date(Date.now() + 5_000).toUTCString();
    zuora.inject({ kind: 'status', status: 503, retryAfter: at }, { route: 'list' });
    const { client, sleeps } = clientFor(zuora, { random: () => 0 });

    await client.listJobs('accepted');

    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThan(3_000);
    expect(sleeps[0]).toBeLessThanOrEqual(5_000);
  });

  it('is ignored when malformed, falling back to the backoff', async () => {
    zuora.inject({ kind: 'status', status: 429, retryAfter: 'soon-ish' }, { route: 'list' });
    const { client, sleeps } = clientFor(zuora, { random: () => 0.5, retry: { baseDelayMs: 100 } });

    await client.listJobs('accepted');

    expect(sleeps).toEqual([50]);
  });
});

describe('deadline', () => {
  it('does not wait for a Retry-After that would end past the deadline', async () => {
    zuora.inject({ kind: 'status', status: 429, retryAfter: '120' }, { route: 'list', times: 99 });
    const { client, sleeps } = clientFor(zuora, { deadline: Date.now() + 10_000 });

    const error = await client.listJobs('accepted').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(((error as Error).cause as ZuoraHttpError).kind).toBe('rate-limited');
    expect(sleeps).toEqual([]);
    expect(zuora.requestsTo('list')).toHaveLength(1);
  });

  it('cuts a slow request off at the deadline instead of overrunning it', async () => {
    zuora.latencyMs = 3_000;
    const deadline = Date.now() + 1_500;
    const { client } = clientFor(zuora, {
      deadline,
      realSleep: true,
      retry: { minAttemptMs: 100 },
    });

    const error = await client.listJobs('accepted').catch((e: unknown) => e);

    expect(Date.now()).toBeLessThan(deadline + 250);
    // Out of time, not failed: the work is deferred, with the timeout as the cause.
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect((error as Error).cause).toBeInstanceOf(ZuoraNetworkError);
    expect(((error as Error).cause as ZuoraNetworkError).timedOut).toBe(true);
  });

  it('sends nothing when the deadline has already passed', async () => {
    const { client } = clientFor(zuora, { deadline: Date.now() - 1 });

    const error = await client.listJobs('accepted').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(zuora.requests).toEqual([]);
  });
});

describe('tokens', () => {
  it('mints one token and reuses it across calls and clients', async () => {
    const first = clientFor(zuora);
    const second = clientFor(zuora, { tokens: first.tokens });

    await first.client.listJobs('accepted');
    await first.client.listJobs('in_progress');
    await second.client.listJobs('accepted');

    expect(zuora.requestsTo('token')).toHaveLength(1);
  });

  it('shares one in-flight token request between concurrent callers', async () => {
    zuora.latencyMs = 50;
    const { client } = clientFor(zuora);

    await Promise.all(Array.from({ length: 8 }, () => client.listJobs('accepted')));

    expect(zuora.requestsTo('token')).toHaveLength(1);
    expect(zuora.requestsTo('list')).toHaveLength(8);
  });

  it('mints a new token only when the cached one is within 5 minutes of expiry', async () => {
    let now = Date.now();
    const tokens = new TokenCache({ now: () => now });
    await clientFor(zuora, { tokens }).client.listJobs('accepted');

    now += 54 * 60_000; // 5 min 59 s left: still good
    await clientFor(zuora, { tokens }).client.listJobs('accepted');
    const afterFiftyFourMinutes = zuora.requestsTo('token').length;
    now += 60_000; // 4 min 59 s left: replace it
    await clientFor(zuora, { tokens }).client.listJobs('accepted');

    expect(afterFiftyFourMinutes).toBe(1);
    expect(zuora.requestsTo('token')).toHaveLength(2);
  });

  it('refreshes the token once and repeats the call once after a 401', async () => {
    const { client } = clientFor(zuora);
    await client.listJobs('accepted');
    zuora.expireTokens();

    await client.listJobs('accepted');

    expect(zuora.requests.map((r) => `${r.route}:${r.status}`)).toEqual([
      'token:200',
      'list:200',
      'list:401',
      'token:200',
      'list:200',
    ]);
  });

  it('fails with an unauthorized error when the fresh token is rejected too', async () => {
    zuora.inject({ kind: 'status', status: 401 }, { route: 'list', times: 2 });
    const { client } = clientFor(zuora);

    const error = await client.listJobs('accepted').catch((e: unknown) => e);

    expect((error as ZuoraHttpError).kind).toBe('unauthorized');
    expect(zuora.requestsTo('list')).toHaveLength(2);
    expect(zuora.requestsTo('token')).toHaveLength(2);
  });

  it('reloads rotated credentials once when Zuora rejects the cached ones', async () => {
    const stale = {
      clientId: defaultClient.clientId,
      clientSecret: 'old-secret-value',
      baseUrl: zuora.url,
    };
    const current = { ...stale, clientSecret: defaultClient.clientSecret };
    let refreshes = 0;
    const credentials: CredentialSource = {
      get: async () => stale,
      refresh: async () => {
        refreshes++;
        return current;
      },
    };
    const { client } = clientFor(zuora, { credentials });

    const page = await client.listJobs('accepted');

    expect(page.jobs).toEqual([]);
    expect(refreshes).toBe(1);
    expect(zuora.requestsTo('token').map((r) => r.status)).toEqual([401, 200]);
  });

  it('shares one credential reload between concurrent callers', async () => {
    const stale = {
      clientId: defaultClient.clientId,
      clientSecret: 'old-secret-value',
      baseUrl: zuora.url,
    };
    let refreshes = 0;
    const credentials: CredentialSource = {
      get: async () => stale,
      refresh: async () => {
        refreshes++;
        return { ...stale, clientSecret: defaultClient.clientSecret };
      },
    };
    const { client } = clientFor(zuora, { credentials });

    const pages = await Promise.all(Array.from({ length: 6 }, () => client.listJobs('accepted')));

    expect(pages).toHaveLength(6);
    expect(refreshes).toBe(1);
    expect(zuora.requestsTo('token').map((r) => r.status)).toEqual([401, 200]);
    expect(client.stats.requests).toBe(8);
  });

  it('stops after one reload when the credentials stay wrong', async () => {
    const wrong = new StaticCredentials({
      clientId: defaultClient.clientId,
      clientSecret: 'wrong-secret',
      baseUrl: zuora.url,
    });
    const { client } = clientFor(zuora, { credentials: wrong });

    const error = await client.listJobs('accepted').catch((e: unknown) => e);

    expect((error as ZuoraHttpError).kind).toBe('unauthorized');
    // Reloading gave the same credentials: no second token request with them.
    expect(zuora.requestsTo('token')).toHaveLength(1);
    expect(zuora.requestsTo('list')).toHaveLength(0);
  });
});

describe('requests sent', () => {
  it('sends the bearer token, gzip, track id, entity and org headers', async () => {
    const { client } = clientFor(zuora, { trackId: 'qj-run-42', orgIds: ['org-1', 'org-2'] });

    await client.listJobs('in_progress', { entityId: 'entity-eu', pageSize: 50 });

    const [token, list] = zuora.requests;
    expect(token?.headers['zuora-track-id']).toBe('qj-run-42');
    expect(token?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(new URLSearchParams(token?.body).get('grant_type')).toBe('client_credentials');
    expect(list?.headers.authorization).toMatch(/^Bearer [0-9a-f]{32}$/);
    expect(list?.headers['accept-encoding']).toBe('gzip');
    expect(list?.headers['zuora-track-id']).toBe('qj-run-42');
    expect(list?.headers['zuora-entity-ids']).toBe('entity-eu');
    expect(list?.headers['zuora-org-ids']).toBe('org-1,org-2');
    expect(list?.query).toEqual({ queryStatus: 'in_progress', pageSize: '50' });
  });

  it('omits entity and org headers when none are configured', async () => {
    const { client } = clientFor(zuora);

    await client.listJobs('accepted');

    expect(zuora.requestsTo('list')[0]?.headers).not.toHaveProperty('zuora-entity-ids');
    expect(zuora.requestsTo('list')[0]?.headers).not.toHaveProperty('zuora-org-ids');
  });

  it('decodes gzip-compressed pages and reports a full page', async () => {
    for (let i = 0; i < 30; i++)
      zuora.addJob({
        ageMinutes: 500 - i,
        query: `select Id, Name from Account where Id = '${i}'`,
      });
    const { client } = clientFor(zuora);

    const page = await client.listJobs('accepted', { pageSize: 30 });

    expect(zuora.requestsTo('list')[0]?.gzipped).toBe(true);
    expect(page.jobs).toHaveLength(30);
    expect(page.full).toBe(true);
    expect(page.jobs[0]?.id).toBe(zuora.jobs()[0]?.id);
  });

  it('reports a page that is not full', async () => {
    zuora.addJob({ ageMinutes: 500 });
    const { client } = clientFor(zuora);

    const page = await client.listJobs('accepted', { pageSize: 30 });

    expect(page.full).toBe(false);
  });

  it('keeps a job whose status Zuora does not document, scrubbed of tokens and query text', async () => {
    const query = "select Id from Account where Name = 'ACME secret customer'";
    const job = zuora.addJob({ ageMinutes: 500, query });
    // A server that echoes the request, or the job's own query, into the status.
    const withStatus = (status: () => string) => (sent: unknown) => {
      const { data } = sent as { data: object | object[] };
      const odd = (entry: object) => ({ ...entry, queryStatus: status() });
      return { data: Array.isArray(data) ? data.map(odd) : odd(data) };
    };
    zuora.inject(
      { kind: 'reshape', reshape: withStatus(() => "queued: Name = 'ACME secret customer'") },
      { route: 'list' },
    );
    zuora.inject(
      { kind: 'reshape', reshape: withStatus(() => `queued ${zuora.issuedTokens()[0]}`) },
      { route: 'get' },
    );
    const { client } = clientFor(zuora);

    const page = await client.listJobs('accepted');
    const read = await client.getJob(job.id);

    expect(page.unreadable).toBe(0);
    expect(page.jobs.map((listed) => listed.queryStatus)).toEqual([WITHHELD]);
    expect(read.queryStatus).toBe('queued [redacted]');
  });

  it('reads a page longer than asked for up to pageSize, as full, and says so once', async () => {
    const jobs = Array.from({ length: 30 }, (_, i) => zuora.addJob({ ageMinutes: 500 - i }));
    zuora.ignorePageSize = true;
    const { client, log } = clientFor(zuora);

    const page = await client.listJobs('accepted', { pageSize: 10 });
    await client.listJobs('accepted', { pageSize: 10 });

    expect(zuora.requestsTo('list')[0]?.sent).toMatchObject({ data: { length: 30 } });
    expect(page.jobs.map((job) => job.id)).toEqual(
      jobs
        .slice(-10)
        .reverse()
        .map((job) => job.id),
    );
    expect(page.full).toBe(true);
    expect(log.records.filter((record) => record.level === 'warn')).toEqual([
      {
        level: 'warn',
        message: 'Zuora answered more list entries than asked for; only the first were read',
        attributes: { status: 'accepted', entityId: undefined, pageSize: 10, entries: 30 },
      },
    ]);
  });

  it('refuses a job id that is not a UUID without sending anything', async () => {
    const { client } = clientFor(zuora);

    await expect(client.cancelJob('../jobs')).rejects.toThrow(/must be a UUID/);
    expect(zuora.requests).toEqual([]);
  });

  it('paces requests when RateLimit-Remaining runs low', async () => {
    zuora.rateLimit = 4;
    zuora.rateLimitWindowSeconds = 10;
    const { client, sleeps } = clientFor(zuora);

    await client.listJobs('accepted');
    await client.listJobs('accepted');
    const beforeLow = sleeps.length;
    await client.listJobs('accepted');
    await client.listJobs('accepted');

    // After 3 of 4 requests one remains, below the low-water mark of 2: the 4th call waits
    // about reset / (remaining + 1) = 10 s / 2 instead of running into a 429.
    expect(beforeLow).toBe(0);
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThan(4_000);
    expect(sleeps[0]).toBeLessThanOrEqual(5_000);
  });
});

describe('typed errors', () => {
  it('distinguishes a missing job (404, code 1001)', async () => {
    const { client } = clientFor(zuora);
    const id = '00000000-0000-4000-8000-000000000000';

    const error = await client.getJob(id).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ZuoraHttpError);
    expect(error).toMatchObject({
      method: 'GET',
      path: `/query/jobs/${id}`,
      status: 404,
      code: 1001,
      kind: 'not-found',
    });
    expect((error as ZuoraHttpError).requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect((error as Error).message).toContain((error as ZuoraHttpError).requestId);
  });

  it('distinguishes a finished job (400, code 1003) and does not retry it', async () => {
    const job = zuora.addJob({ queryStatus: 'completed' });
    const { client } = clientFor(zuora);

    const error = await client.cancelJob(job.id).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ZuoraHttpError);
    expect(error).toMatchObject({ status: 400, code: 1003, kind: 'already-finished' });
    expect(zuora.requestsTo('cancel')).toHaveLength(1);
  });

  it("reports 403 code 1009 for another user's job as forbidden", async () => {
    zuora.addClient({
      clientId: 'b7f1c1de-0000-4000-8000-00000000b001',
      clientSecret: 'non-admin-secret',
      admin: false,
    });
    const job = zuora.addJob({ createdBy: defaultClient.userId });
    const { client } = clientFor(zuora, {
      credentials: new StaticCredentials({
        clientId: 'b7f1c1de-0000-4000-8000-00000000b001',
        clientSecret: 'non-admin-secret',
        baseUrl: zuora.url,
      }),
    });

    const error = await client.getJob(job.id).catch((e: unknown) => e);

    expect(error).toMatchObject({ status: 403, code: 1009, kind: 'forbidden' });
  });

  it('cancels an in_progress job', async () => {
    const job = zuora.addJob({ queryStatus: 'in_progress', ageMinutes: 200 });
    const { client } = clientFor(zuora);

    await client.cancelJob(job.id);

    expect(zuora.requestsTo('cancel')[0]?.status).toBe(200);
    expect(zuora.job(job.id)?.queryStatus).toBe('cancelled');
  });

  it.each([
    ['a non-JSON body', 'this is not json'],
    [
      'a job whose status is not text',
      JSON.stringify({
        data: {
          id: '11111111-1111-4111-8111-111111111111',
          queryStatus: 7,
          updatedOn: '2026-01-01T00:00:00Z',
        },
      }),
    ],
    [
      'a job without an id',
      JSON.stringify({ data: { queryStatus: 'accepted', updatedOn: '2026-01-01T00:00:00Z' } }),
    ],
  ])('rejects %s with a typed response error', async (_name, body) => {
    zuora.inject({ kind: 'body', body }, { route: 'get' });
    const { client } = clientFor(zuora);

    const error = await client
      .getJob('11111111-1111-4111-8111-111111111111')
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ZuoraResponseError);
    expect(zuora.requestsTo('get')).toHaveLength(1);
  });

  it('parses an HTML error page leniently and keeps the status', async () => {
    zuora.inject(
      {
        kind: 'status',
        status: 502,
        contentType: 'text/html',
        body: '<html><body><h1>502 Bad Gateway</h1></body></html>',
      },
      { route: 'list', times: 99 },
    );
    const { client } = clientFor(zuora);

    const error = await client.listJobs('accepted').catch((e: unknown) => e);

    expect(error).toMatchObject({ status: 502, kind: 'server', zuoraMessage: '502 Bad Gateway' });
  });

  it('rejects a truncated gzip body with a typed response error', async () => {
    for (let i = 0; i < 20; i++) zuora.addJob({ ageMinutes: 600 });
    zuora.inject({ kind: 'truncated-gzip' }, { route: 'list' });
    const { client } = clientFor(zuora);

    const error = await client.listJobs('accepted').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ZuoraResponseError);
    expect((error as Error).message).toMatch(/not JSON/);
  });

  it('refuses a plain-http base URL that is not loopback', () => {
    expect(
      () =>
        new StaticCredentials({
          clientId: 'a',
          clientSecret: 'secret-b',
          baseUrl: 'http://rest.zuora.com',
        }),
    ).toThrow(/must use https/);
  });
});

describe('refusals and reloads, as they are told and counted', () => {
  const stale = () => ({
    clientId: defaultClient.clientId,
    clientSecret: 'old-secret-value',
    baseUrl: zuora.url,
  });

  it('says once that it refreshes a rejected token, naming the request', async () => {
    const { client, log } = clientFor(zuora);
    await client.listJobs('accepted');
    zuora.expireTokens();

    await client.listJobs('accepted');

    const told = log.records.filter(
      (record) => record.message === 'Zuora rejected the access token; refreshing it once',
    );
    expect(told).toEqual([
      {
        level: 'info',
        message: 'Zuora rejected the access token; refreshing it once',
        attributes: expect.objectContaining({ method: 'GET', path: '/query/jobs' }),
      },
    ]);
  });

  it('counts only the attempts before the refused one when the repeated call fails', async () => {
    const job = zuora.addJob();
    const { client } = clientFor(zuora);
    zuora.inject({ kind: 'status', status: 503 }, { route: 'cancel' });
    zuora.inject({ kind: 'status', status: 401 }, { route: 'cancel' });
    zuora.inject(queryError(400, 1002, 'nope'), { route: 'cancel' });

    const error = (await client.cancelJob(job.id).catch((e: unknown) => e)) as ZuoraHttpError;

    expect(zuora.requests.slice(-4).map((r) => `${r.route}:${r.status}`)).toEqual([
      'cancel:503',
      'cancel:401',
      'token:200',
      'cancel:400',
    ]);
    // The 503 attempt may have taken effect; the refused 401 attempt did not.
    expect(error.status).toBe(400);
    expect(error.attempts).toBe(2);
  });

  it('reloads the credentials when the token endpoint answers 400, and says so', async () => {
    let refreshes = 0;
    const credentials: CredentialSource = {
      get: async () => stale(),
      refresh: async () => {
        refreshes++;
        return { ...stale(), clientSecret: defaultClient.clientSecret };
      },
    };
    zuora.inject(
      { kind: 'status', status: 400, body: '{"error":"invalid_client"}' },
      { route: 'token' },
    );
    const { client, log } = clientFor(zuora, { credentials });

    await client.listJobs('accepted');

    expect(refreshes).toBe(1);
    expect(log.records).toContainEqual({
      level: 'warn',
      message: 'Zuora refused the cached client credentials; using reloaded ones',
      attributes: expect.objectContaining({ status: 400 }),
    });
  });

  it('does not reload the credentials when the token endpoint is merely failing', async () => {
    let refreshes = 0;
    const credentials: CredentialSource = {
      get: async () => ({ ...stale(), clientSecret: defaultClient.clientSecret }),
      refresh: async () => {
        refreshes++;
        return stale();
      },
    };
    zuora.inject({ kind: 'status', status: 503 }, { route: 'token', times: 99 });
    const { client } = clientFor(zuora, { credentials });

    const error = (await client.listJobs('accepted').catch((e: unknown) => e)) as ZuoraHttpError;

    expect(error.status).toBe(503);
    expect(refreshes).toBe(0);
  });

  it('uses reloaded credentials that differ only in the client id', async () => {
    zuora.addClient({ clientId: 'client-two', clientSecret: 'shared-secret-value' });
    const before = {
      clientId: 'client-one',
      clientSecret: 'shared-secret-value',
      baseUrl: zuora.url,
    };
    const credentials: CredentialSource = {
      get: async () => before,
      refresh: async () => ({ ...before, clientId: 'client-two' }),
    };
    const { client } = clientFor(zuora, { credentials });

    await expect(client.listJobs('accepted')).resolves.toMatchObject({ jobs: [] });
  });

  it('uses reloaded credentials that differ only in the base URL', async () => {
    const other = await ZuoraEmulator.start();
    try {
      zuora.rotateSecret(defaultClient.clientId, 'rotated-away-secret');
      const before = {
        clientId: defaultClient.clientId,
        clientSecret: defaultClient.clientSecret,
        baseUrl: zuora.url,
      };
      const credentials: CredentialSource = {
        get: async () => before,
        refresh: async () => ({ ...before, baseUrl: other.url }),
      };
      const { client } = clientFor(zuora, { credentials });

      await expect(client.listJobs('accepted')).resolves.toMatchObject({ jobs: [] });
      expect(other.requestsTo('list')).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it.each(['listed', 'read'])(
    'withholds an error message that quotes part of a job it %s',
    async (how) => {
      const query = "SELECT Id FROM Account WHERE Name = 'ACME-CANARY-0042' AND Status = 'Active'";
      const job = zuora.addJob({ query });
      zuora.inject(
        queryError(400, 1002, "cannot cancel: Name = 'ACME-CANARY-0042' AND Status = 'Active'"),
        { route: 'cancel' },
      );
      const { client } = clientFor(zuora);
      if (how === 'listed') await client.listJobs('accepted');
      else await client.getJob(job.id);

      const error = (await client.cancelJob(job.id).catch((e: unknown) => e)) as ZuoraHttpError;

      expect(error.zuoraMessage).toBe(WITHHELD);
      expect(error.message).not.toContain('ACME-CANARY');
    },
  );

  it('refreshes the token and reloads credentials without a log to tell', async () => {
    const credentials: CredentialSource = {
      get: async () => stale(),
      refresh: async () => ({ ...stale(), clientSecret: defaultClient.clientSecret }),
    };
    zuora.inject({ kind: 'status', status: 401 }, { route: 'list' });
    const { client } = clientFor(zuora, { credentials, log: undefined });

    await expect(client.listJobs('accepted')).resolves.toMatchObject({ jobs: [] });
    expect(zuora.requests.map((r) => `${r.route}:${r.status}`)).toEqual([
      'token:401',
      'token:200',
      'list:401',
      'token:200',
      'list:200',
    ]);
  });

  it('does not refresh again for a caller whose fresh token is rejected too', async () => {
    const { client } = clientFor(zuora);
    zuora.inject({ kind: 'status', status: 401 }, { route: 'list' });
    await client.listJobs('accepted');
    zuora.inject({ kind: 'status', status: 401 }, { route: 'list' });

    const error = (await client.listJobs('accepted').catch((e: unknown) => e)) as ZuoraHttpError;

    expect(error.kind).toBe('unauthorized');
    expect(zuora.requests.map((r) => `${r.route}:${r.status}`)).toEqual([
      'token:200',
      'list:401',
      'token:200',
      'list:200',
      'list:401',
    ]);
  });

  it('does not reload again once reloaded credentials are refused too', async () => {
    const credentials: CredentialSource = {
      get: async () => stale(),
      refresh: async () => ({ ...stale(), clientSecret: 'also-wrong-secret' }),
    };
    const { client } = clientFor(zuora, { credentials });

    await expect(client.listJobs('accepted')).rejects.toMatchObject({ kind: 'unauthorized' });
    await expect(client.listJobs('accepted')).rejects.toMatchObject({ kind: 'unauthorized' });

    expect(zuora.requestsTo('token').map((r) => r.status)).toEqual([401, 401, 401]);
  });
});
