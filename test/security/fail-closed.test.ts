/**
 * Fail closed: one regression test per defect found by trying the shipped janitor from outside
 * (as an attacker, a careless operator and an unusual-but-valid Zuora). Each failed before its
 * fix. Where the defect was in the CLI, the CLI runs as a child process.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { QueryJobJanitor } from '../../infra/query-job-janitor.ts';
import { MAX_REASON_LENGTH } from '../../lib/contract/limits.ts';
import type { Report } from '../../lib/janitor/index.ts';
import { PATTERN_TIMEOUTS_PER_RUN } from '../../lib/janitor/pattern.ts';
import { PATTERN_SPENT } from '../../lib/janitor/policy.ts';
import { parseBaseUrl } from '../../lib/zuora/endpoint.ts';
import { defaultClient, type Fault, queryError } from '../emulator/zuora.ts';
import { leakedForms, SECRET_CANARY, TOKEN_CANARY } from '../support/canaries.ts';
import { cancelEvent, sweepEvent } from '../support/events.ts';
import {
  captureOutput,
  exposedText,
  jsonLines,
  lambdaContext,
  loadFunction,
  secretFor,
  startWorld,
  type World,
} from '../support/lambda.ts';
import { runCliProcess } from '../support/processes.ts';

let world: World;

beforeAll(async () => {
  world = await startWorld();
});

beforeEach(() => {
  vi.unstubAllEnvs();
  world.zuora.reset();
  world.secrets.reset();
  world.secrets.put('query-janitor/zuora', secretFor(world.zuora));
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await world.close();
});

type Handler = Awaited<ReturnType<typeof loadFunction>>;

async function sweepWith(env: Record<string, string | undefined> = {}): Promise<Handler> {
  return loadFunction('sweep', { ...world.env, ...env });
}

async function run(
  handler: Handler,
  event: unknown = { trigger: 'schedule' },
  remainingMs = 60_000,
) {
  const captured = await captureOutput(() => handler(event, lambdaContext(remainingMs)));
  return { ...captured, report: captured.result as Report | undefined };
}

function cliEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ZUORA_CLIENT_ID: defaultClient.clientId,
    ZUORA_CLIENT_SECRET: defaultClient.clientSecret,
    ZUORA_BASE_URL: world.zuora.url,
    ...extra,
  };
}

describe('1. protect rules fail closed', () => {
  it('protects a stale job whose query is missing when a query pattern is set', async () => {
    const job = world.zuora.addJob({ ageMinutes: 300, wire: { query: undefined } });
    const sweep = await sweepWith({ JANITOR_PROTECT_QUERY_PATTERN: 'nightly' });

    const { report } = await run(sweep);

    expect(world.zuora.job(job.id)?.queryStatus).toBe('accepted');
    expect(report?.jobs).toEqual([
      expect.objectContaining({
        id: job.id,
        outcome: 'protected',
        reason: expect.stringMatching(/query/),
      }),
    ]);
  });

  it('compares user ids case-insensitively in protect and only rules', async () => {
    const owner = 'a1b2c3d4-0000-4000-8000-0000000000aa';
    const protectedJob = world.zuora.addJob({ ageMinutes: 300, createdBy: owner });
    const sweep = await sweepWith({ JANITOR_PROTECT_CREATED_BY: owner.toUpperCase() });

    const { report } = await run(sweep);

    expect(world.zuora.job(protectedJob.id)?.queryStatus).toBe('accepted');
    expect(report?.jobs[0]).toMatchObject({ outcome: 'protected' });

    const eligible = world.zuora.addJob({ ageMinutes: 300, createdBy: owner });
    const only = await sweepWith({
      JANITOR_PROTECT_CREATED_BY: undefined,
      JANITOR_ONLY_CREATED_BY: owner.toUpperCase(),
    });
    await run(only);
    expect(world.zuora.job(eligible.id)?.queryStatus).toBe('cancelled');
  });

  it('protects a job whose owner is missing when an owner rule is set', async () => {
    const job = world.zuora.addJob({ ageMinutes: 300, wire: { createdBy: null } });
    const sweep = await sweepWith({
      JANITOR_PROTECT_CREATED_BY: 'c0ffee00-0000-4000-8000-00000000c0fe',
    });

    const { report } = await run(sweep);

    expect(world.zuora.job(job.id)?.queryStatus).toBe('accepted');
    expect(report?.jobs[0]).toMatchObject({
      outcome: 'protected',
      reason: expect.stringMatching(/createdBy/),
    });
  });
});

describe('2. secrets and tokens do not leak through echoes', () => {
  it('scrubs the client secret echoed in its form-encoded form', async () => {
    world.zuora.rotateSecret(defaultClient.clientId, SECRET_CANARY);
    world.secrets.put(
      'query-janitor/zuora',
      secretFor(world.zuora, { clientSecret: SECRET_CANARY }),
    );
    world.zuora.inject({ kind: 'echo', status: 400 }, { route: 'token', times: 10 });
    const sweep = await sweepWith();

    const { error, output } = await run(sweep);

    expect((error as Error)?.message).toMatch(/oauth\/token/);
    expect(
      leakedForms(output + exposedText(error), [SECRET_CANARY], defaultClient.clientId),
    ).toEqual([]);
  });

  it('never copies a Zuora-Request-Id that carries the token, or is huge', async () => {
    world.zuora.tokenPrefix = TOKEN_CANARY;
    const job = world.zuora.addJob({ ageMinutes: 300 });
    world.zuora.onRequest = (request) => {
      if (request.route !== 'get') return;
      const token = world.zuora.issuedTokens().at(-1) ?? '';
      world.zuora.inject(
        {
          kind: 'status',
          status: 403,
          headers: { 'zuora-request-id': `${token} ${'x'.repeat(10_000)}` },
        },
        { route: 'cancel' },
      );
    };
    const sweep = await sweepWith();

    const { report, output } = await run(sweep);

    const text = output + JSON.stringify(report);
    expect(report?.jobs[0]).toMatchObject({ id: job.id, outcome: 'failed' });
    expect(leakedForms(text, world.zuora.issuedTokens())).toEqual([]);
    expect(text).not.toContain('x'.repeat(100));
  });
});

describe('3. dates are read strictly', () => {
  it('reads an updatedOn without offset as UTC whatever the machine time zone', async () => {
    // 30 minutes old in UTC; a machine in Tokyo (UTC+9) read it as 9h30m old.
    const updatedOn = new Date(Date.now() - 30 * 60_000).toISOString().replace(/\.\d+Z$/, '');
    const job = world.zuora.addJob({ wire: { updatedOn } });

    const result = await runCliProcess(['sweep', '--json', '--no-dry-run'], {
      env: { ...cliEnv(), TZ: 'Asia/Tokyo' },
    });

    expect(world.zuora.job(job.id)?.queryStatus).toBe('accepted');
    expect(JSON.parse(result.stdout).counts).toMatchObject({ scanned: 1, stale: 0 });
  });

  it.each(['1', 'Nov 28', '2026-02-30T00:00:00Z', 'yesterday', ''])(
    'never cancels a job whose updatedOn is %j: protected, age unknown',
    async (updatedOn) => {
      const job = world.zuora.addJob({ wire: { updatedOn } });
      const sweep = await sweepWith();

      const { report } = await run(sweep);

      expect(world.zuora.job(job.id)?.queryStatus).toBe('accepted');
      expect(report?.jobs).toEqual([
        expect.objectContaining({
          id: job.id,
          outcome: 'protected',
          ageSeconds: null,
          reason: expect.stringMatching(/updatedOn/),
        }),
      ]);
    },
  );
});

describe('4. plain http only to loopback addresses', () => {
  it.each([
    'http://127.attacker.example',
    'http://127.0.0.1.nip.io',
    'http://localhost.attacker.example',
    'http://[::ffff:127.0.0.1]',
  ])('refuses %s', (url) => {
    expect(() => parseBaseUrl(url)).toThrow(/https/);
  });

  it.each(['http://127.0.0.1:8080', 'http://127.1.2.3', 'http://localhost:1', 'http://[::1]:9'])(
    'allows %s',
    (url) => {
      expect(() => parseBaseUrl(url)).not.toThrow();
    },
  );
});

describe('5. a hanging Secrets Manager is bounded by the deadline', () => {
  it('fails the sweep before its deadline, with a logged reason', async () => {
    world.secrets.hangNext(5);
    const sweep = await sweepWith();
    const started = Date.now();

    const { error, output } = await run(sweep, { trigger: 'schedule' }, 8_000);

    expect(Date.now() - started).toBeLessThan(8_000);
    expect((error as Error).message).toMatch(/Secrets Manager/);
    expect(jsonLines(output).some((line) => line.message === 'run failed')).toBe(true);
  });

  it('tries a request that hangs again on a fresh connection, and the run goes on', async () => {
    const job = world.zuora.addJob({ ageMinutes: 300 });
    world.secrets.hangNext(1);
    const sweep = await sweepWith();

    const { error, result } = await run(sweep, { trigger: 'schedule' }, 20_000);

    expect(error).toBeUndefined();
    expect((result as Report).counts.cancelled).toBe(1);
    expect(world.zuora.job(job.id)?.queryStatus).toBe('cancelled');
    expect(world.secrets.requests).toHaveLength(2);
  }, 30_000);

  it('does not hang the CLI', async () => {
    world.secrets.hangNext(5);

    const result = await runCliProcess(['list', '--timeout', '10s'], {
      env: {
        ZUORA_SECRET_ID: 'query-janitor/zuora',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: world.secrets.url,
      },
      timeoutMs: 30_000,
    });

    expect(result.signal).toBeNull();
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Secrets Manager/);
  }, 40_000);
});

describe('6. a catastrophic protect pattern cannot stall a run', () => {
  it('completes within its deadline and protects the jobs it could not judge', async () => {
    const jobs = Array.from({ length: 5 }, () =>
      world.zuora.addJob({ ageMinutes: 300, query: `${'a'.repeat(40)}b` }),
    );
    const sweep = await sweepWith({ JANITOR_PROTECT_QUERY_PATTERN: '^(a+)+$' });
    const started = Date.now();

    const { report } = await run(sweep, { trigger: 'schedule' }, 10_000);

    expect(Date.now() - started).toBeLessThan(5_000);
    for (const job of jobs) expect(world.zuora.job(job.id)?.queryStatus).toBe('accepted');
    expect(report?.counts).toMatchObject({ stale: 5, protected: 5 });
  });
});

describe('6. ... nor hold a run past its deadline by timing out on every job', () => {
  it('spends a bounded number of timeouts per run: the CLI sweeps 300 such jobs and ends, every one protected', async () => {
    // 300 stale jobs, each a 50 ms timeout: 15 s if the pattern were tried on every one.
    for (const entityId of ['e1', 'e2']) {
      for (let i = 0; i < 150; i++) {
        world.zuora.addJob({
          ageMinutes: 300,
          entityId,
          queryStatus: i % 2 === 0 ? 'accepted' : 'in_progress',
          // Each its own: a query that timed out once is not tested again in the run.
          query: `${'a'.repeat(40)}!${entityId}${i}`,
        });
      }
    }

    const result = await runCliProcess(['sweep', '--json', '--timeout', '3s'], {
      env: cliEnv({ JANITOR_PROTECT_QUERY_PATTERN: '^(a+)+$', ZUORA_ENTITY_IDS: 'e1,e2' }),
      timeoutMs: 30_000,
    });

    expect(result.signal).toBeNull();
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.counts).toMatchObject({ scanned: 300, stale: 300, protected: 300 });
    const reasons = report.jobs.map((job) => job.reason);
    expect(reasons.filter((reason) => reason === PATTERN_SPENT)).toHaveLength(
      300 - PATTERN_TIMEOUTS_PER_RUN,
    );
    expect(reasons.filter((reason) => reason?.includes('did not finish'))).toHaveLength(
      PATTERN_TIMEOUTS_PER_RUN,
    );
    expect(world.zuora.requestsTo('get')).toEqual([]);
    const warnings = jsonLines(result.stderr).filter((line) =>
      String(line.message).startsWith('protectQueryPattern did not finish'),
    );
    expect(warnings.map((line) => line.level)).toEqual(['WARN']);
  }, 60_000);

  it('is not run for fresh jobs by list', async () => {
    for (let i = 0; i < 150; i++)
      world.zuora.addJob({ ageMinutes: 5, query: `${'a'.repeat(40)}!` });

    const result = await runCliProcess(['list', '--json', '--timeout', '3s'], {
      env: cliEnv({ JANITOR_PROTECT_QUERY_PATTERN: '^(a+)+$' }),
      timeoutMs: 30_000,
    });

    expect(result.code).toBe(0);
    const listing = JSON.parse(result.stdout) as { jobs: Array<{ protected: string | null }> };
    expect(listing.jobs).toHaveLength(100);
    expect(listing.jobs.every((job) => job.protected === null)).toBe(true);
    expect(result.stderr).not.toMatch(/protectQueryPattern did not finish/);
  }, 60_000);
});

describe('6. ... and patterns RE2 cannot express are flagged before they are relied on', () => {
  it('warns at synth', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Warned');
    new QueryJobJanitor(stack, 'Janitor', {
      config: { tenants: [{ name: 'prod', protectQueryPattern: '(nightly)-\\1' }] },
    });

    Annotations.fromStack(stack).hasWarning(
      '/Warned/Janitor',
      Match.stringLikeRegexp(
        'tenant prod: protectQueryPattern uses what a linear-time engine \\(RE2\\) cannot express',
      ),
    );
  });

  it('does not warn about a pattern RE2 can express', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Quiet');
    new QueryJobJanitor(stack, 'Janitor', {
      config: { tenants: [{ name: 'prod', protectQueryPattern: 'nightly-export|/\\* keep \\*/' }] },
    });

    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  it('warns in the CLI', async () => {
    const result = await runCliProcess(['list'], {
      env: cliEnv({ JANITOR_PROTECT_QUERY_PATTERN: '^(?!keep).*$' }),
    });

    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /warning: tenant default: protectQueryPattern uses what a linear-time engine/,
    );
  });
});

describe('7. a cancel event keeps what it could not finish', () => {
  it('fails the invocation with the counts when a job failed for a retryable cause', async () => {
    const job = world.zuora.addJob({ queryStatus: 'in_progress' });
    world.zuora.inject({ kind: 'status', status: 503 }, { route: 'cancel', times: 10 });
    const cancel = await loadFunction('cancel', world.env);

    const { error } = await captureOutput(() =>
      cancel(cancelEvent({ jobIds: [job.id] }), lambdaContext()),
    );

    expect((error as Error)?.message).toMatch(/failed 1/);
  });

  it('returns normally when the only failure is permanent (403)', async () => {
    const job = world.zuora.addJob({ queryStatus: 'in_progress' });
    world.zuora.inject(queryError(403, 1009, 'Access denied'), { route: 'cancel' });
    const cancel = await loadFunction('cancel', world.env);

    const { result, error } = await captureOutput(() =>
      cancel(cancelEvent({ jobIds: [job.id] }), lambdaContext()),
    );

    expect(error).toBeUndefined();
    expect((result as Report).counts.failed).toBe(1);
  });

  it.each<[string, Fault]>([
    ['forbidden (an IP allow-list)', queryError(403, 90000011, 'not allowed from this address')],
    ['a 400', { kind: 'status', status: 400, body: '{"error":"invalid_request"}' }],
    ['redirected', { kind: 'status', status: 302, headers: { location: '/login' } }],
  ])(
    'fails the invocation when the token request is %s: not a job failure',
    async (_case, fault) => {
      const jobs = [world.zuora.addJob({ queryStatus: 'in_progress' }), world.zuora.addJob()];
      world.zuora.inject(fault, { route: 'token', times: 10 });
      const cancel = await loadFunction('cancel', world.env);

      const { error } = await captureOutput(() =>
        cancel(cancelEvent({ jobIds: jobs.map((job) => job.id) }), lambdaContext()),
      );

      // Kept for redrive once ops fix what refused the token: a resend can succeed.
      expect((error as Error)?.message).toMatch(
        /^POST \/oauth\/token failed with HTTP (403|400|302)/,
      );
      expect(world.zuora.requestsTo('get')).toEqual([]);
    },
  );

  it('keeps the event when the token refresh after a 401 is refused: the job carries no 403', async () => {
    const job = world.zuora.addJob({ queryStatus: 'in_progress' });
    world.zuora.inject({ kind: 'status', status: 401 }, { route: 'cancel' });
    const cancel = await loadFunction('cancel', world.env);
    // The first token works; the refresh the 401 asks for is refused.
    world.zuora.onRequest = (request) => {
      if (request.route === 'cancel') {
        world.zuora.inject(queryError(403, 90000011, 'not allowed'), { route: 'token' });
      }
    };

    const { error, output } = await captureOutput(() =>
      cancel(cancelEvent({ jobIds: [job.id] }), lambdaContext()),
    );

    expect(world.zuora.requests.map((request) => `${request.route}:${request.status}`)).toEqual([
      'token:200',
      'get:200',
      'cancel:401',
      'token:403',
    ]);
    expect((error as Error)?.message).toMatch(/failed 1/);
    const record = jsonLines(output).find((line) => line.message === 'query job');
    expect(record).toMatchObject({
      outcome: 'failed',
      error: expect.stringMatching(/oauth\/token failed with HTTP 403/),
    });
    expect(record?.httpStatus).toBeUndefined();
  });

  it('fails the invocation with the counts when the job reads are redirected', async () => {
    const job = world.zuora.addJob({ queryStatus: 'in_progress' });
    world.zuora.inject(
      { kind: 'status', status: 307, headers: { location: '/elsewhere' } },
      { route: 'get', times: 10 },
    );
    const cancel = await loadFunction('cancel', world.env);

    const { error } = await captureOutput(() =>
      cancel(cancelEvent({ jobIds: [job.id] }), lambdaContext()),
    );

    expect((error as Error)?.message).toMatch(/failed 1/);
    expect(world.zuora.requestsTo('cancel')).toEqual([]);
  });
});

describe('8. events cannot weaken the deployment', () => {
  it('refuses dryRun false on a dry-run deployment, before any call', async () => {
    world.zuora.addJob({ ageMinutes: 300 });
    const sweep = await sweepWith({ JANITOR_DRY_RUN: 'true' });

    const { error } = await run(sweep, sweepEvent({ dryRun: false }));

    expect((error as Error)?.message).toMatch(/dryRun/);
    expect(world.zuora.requests).toEqual([]);
  });

  it('refuses a staleAfter below the deployment floor', async () => {
    const sweep = await sweepWith({ JANITOR_STALE_AFTER: '2h' });

    const { error } = await run(sweep, sweepEvent({ staleAfter: '5m' }));

    expect((error as Error)?.message).toMatch(/staleAfter/);
    expect(world.zuora.requests).toEqual([]);
  });

  it('refuses a cancel event that asks a dry-run deployment to cancel', async () => {
    const job = world.zuora.addJob({ queryStatus: 'in_progress' });
    const cancel = await loadFunction('cancel', { ...world.env, JANITOR_DRY_RUN: 'true' });

    const { error } = await captureOutput(() =>
      cancel(cancelEvent({ jobIds: [job.id], dryRun: false }), lambdaContext()),
    );

    expect((error as Error)?.message).toMatch(/dryRun/);
    expect(world.zuora.requests).toEqual([]);
  });
});

describe('9. spec-valid responses are accepted', () => {
  it('counts a cancel answered with a minimal body as cancelled', async () => {
    const job = world.zuora.addJob({ ageMinutes: 300 });
    world.zuora.inject(
      { kind: 'reshape', reshape: () => ({ data: { id: job.id, queryStatus: 'cancelled' } }) },
      { route: 'cancel' },
    );
    const sweep = await sweepWith();

    const { report } = await run(sweep);

    expect(report?.jobs[0]).toMatchObject({ id: job.id, outcome: 'cancelled' });
  });

  it('sweeps the other jobs when one has createdBy null', async () => {
    world.zuora.addJob({ ageMinutes: 300, wire: { createdBy: null } });
    const other = world.zuora.addJob({ ageMinutes: 300 });
    const sweep = await sweepWith();

    const { report, error } = await run(sweep);

    expect(error).toBeUndefined();
    expect(world.zuora.job(other.id)?.queryStatus).toBe('cancelled');
    expect(report?.counts.scanned).toBe(2);
  });

  it('keeps error messages on one line', async () => {
    const job = world.zuora.addJob({ ageMinutes: 300 });
    world.zuora.inject(
      { kind: 'body', body: JSON.stringify({ data: { id: job.id, queryStatus: 7 } }) },
      { route: 'get' },
    );
    const sweep = await sweepWith();

    const { report } = await run(sweep);

    expect(report?.jobs[0]?.error).toBeDefined();
    expect(report?.jobs[0]?.error).not.toMatch(/\n/);
  });
});

describe('10. throttling near the deadline', () => {
  it('defers, rather than fails, work that runs out of time waiting for Retry-After', async () => {
    const job = world.zuora.addJob({ ageMinutes: 300 });
    world.zuora.inject({ kind: 'status', status: 429, retryAfter: '60' }, { route: 'get' });
    const sweep = await sweepWith();

    const { report } = await run(sweep, { trigger: 'schedule' }, 10_000);

    expect(report?.jobs[0]).toMatchObject({ id: job.id, outcome: 'deferred' });
  });

  it('pauses every request of the run after a 429, not only the one that got it', async () => {
    // 100 ms a request: were only the throttled request to wait, the other jobs' reads and
    // cancels would land inside its 1 s Retry-After.
    world.zuora.latencyMs = 100;
    for (let i = 0; i < 6; i++) world.zuora.addJob({ ageMinutes: 300 + i });
    world.zuora.inject({ kind: 'status', status: 429, retryAfter: '1' }, { route: 'get' });
    const sweep = await sweepWith({ JANITOR_CONCURRENCY: '4' });

    await run(sweep);

    const throttled = world.zuora.requests.find((request) => request.status === 429);
    const answeredAt = throttled?.answeredAt ?? 0;
    // The first 50 ms: requests already on their way before the client read the 429.
    const during = world.zuora.requests.filter(
      (request) => request.receivedAt > answeredAt + 50 && request.receivedAt < answeredAt + 900,
    );
    const after = world.zuora.requests.filter((request) => request.receivedAt >= answeredAt + 900);
    expect(throttled).toBeDefined();
    expect(during).toEqual([]);
    // Work was left when the 429 came: the throttled job's retry and other jobs' requests wait.
    expect(after.filter((request) => request.jobId !== throttled?.jobId).length).toBeGreaterThan(0);
  });
});

describe('11. query text stays out of reports and logs', () => {
  const QUERY = "SELECT Name, Email FROM Account WHERE Email = 'ceo@example.com'";

  it('withholds a Zuora error message that quotes the query', async () => {
    const job = world.zuora.addJob({ ageMinutes: 300, query: QUERY });
    world.zuora.inject(queryError(500, 1010, `Query failed: ${QUERY}`), {
      route: 'cancel',
      times: 10,
    });
    const sweep = await sweepWith();

    const { report, output } = await run(sweep);

    expect(report?.jobs[0]).toMatchObject({ id: job.id, outcome: 'failed' });
    expect(output + JSON.stringify(report)).not.toContain('ceo@example.com');
  });

  it('bounds and scrubs the free-text reason of a cancel event', async () => {
    const job = world.zuora.addJob({ queryStatus: 'in_progress' });
    const cancel = await loadFunction('cancel', world.env);
    // No query text in it, so it is scrubbed rather than withheld.
    const reason =
      `stuck\r\n{"level":"ERROR","message":"forged"}\u202e\u0007\t\u2066${'x'.repeat(300)}`.slice(
        0,
        MAX_REASON_LENGTH,
      );

    const { output, result } = await captureOutput(() =>
      cancel(cancelEvent({ jobIds: [job.id], reason }), lambdaContext()),
    );

    const logged = jsonLines(output).find((line) => line.message === 'cancel requested')?.reason;
    const reported = (result as Report | undefined)?.jobs[0]?.reason;
    expect(logged).toMatch(/^stuck \{"level":"ERROR","message":"forged"\} x+/);
    expect(reported).toContain('stuck {"level":"ERROR","message":"forged"} x');
    for (const text of [logged, reported] as string[]) {
      expect(text).not.toMatch(/[\p{Cc}\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/u);
    }
    expect((logged as string).length).toBeLessThanOrEqual(MAX_REASON_LENGTH);
    expect(output).not.toContain('\u202e');
    expect(output).not.toContain('\u2066');
  });

  it('withholds the reason of a cancel event that quotes a query', async () => {
    const job = world.zuora.addJob({ queryStatus: 'in_progress' });
    const cancel = await loadFunction('cancel', world.env);
    const reason = `stuck\n{"level":"ERROR","message":"forged"}\u202e ${QUERY}`.slice(0, 256);

    const { output } = await captureOutput(() =>
      cancel(cancelEvent({ jobIds: [job.id], reason }), lambdaContext()),
    );

    expect(output).not.toContain('"message":"forged"');
    expect(output).not.toContain('\u202e');
    expect(output).not.toContain('ceo@example.com');
  });
});

describe('12. the CLI in a pipe and on Ctrl-C', () => {
  it('exits quietly when standard output is closed (| head)', async () => {
    for (let i = 0; i < 40; i++) world.zuora.addJob({ ageMinutes: 300 + i });

    const result = await runCliProcess(['list'], {
      env: cliEnv(),
      onStdout: (_chunk, child) => child.stdout?.destroy(),
    });

    expect(result.stderr).not.toMatch(/EPIPE|Error/);
    expect(result.code).toBe(0);
  });

  it('on SIGINT finishes what is in flight, prints the partial report and exits 130', async () => {
    world.zuora.latencyMs = 150;
    for (let i = 0; i < 30; i++) world.zuora.addJob({ ageMinutes: 300 + i });
    let signalled = false;
    world.zuora.onRequest = (request) => {
      if (request.route === 'cancel' && !signalled) {
        signalled = true;
        child?.kill('SIGINT');
      }
    };
    let child: import('node:child_process').ChildProcess | undefined;

    const result = await runCliProcess(['sweep', '--json', '--no-dry-run'], {
      env: cliEnv({ JANITOR_MAX_CANCELS_PER_RUN: '30', JANITOR_CONCURRENCY: '2' }),
      onStart: (started) => {
        child = started;
      },
    });

    expect(result.code).toBe(130);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.counts.cancelled).toBeGreaterThan(0);
    expect(report.counts.deferred).toBeGreaterThan(0);
    expect(report.counts.stale).toBe(30);
  });

  it('on SIGINT while waiting out a throttled list, exits 130 without sending it again', async () => {
    world.zuora.addJob({ ageMinutes: 300 });
    world.zuora.inject({ kind: 'status', status: 429, retryAfter: '30' }, { route: 'list' });
    let child: import('node:child_process').ChildProcess | undefined;
    let signalled = false;
    world.zuora.onRequest = (request) => {
      // Once: a second Ctrl-C means "leave now", which exits 130 whatever the run did.
      if (request.route === 'list' && !signalled) {
        signalled = true;
        child?.kill('SIGINT');
      }
    };

    const result = await runCliProcess(['sweep', '--json', '--no-dry-run'], {
      env: cliEnv(),
      onStart: (started) => {
        child = started;
      },
    });

    expect(world.zuora.requestsTo('list')).toHaveLength(1);
    expect(result.stderr).toMatch(/not sent: the run was interrupted/);
    expect(result.code).toBe(130);
  });
});

describe('13. a 401 storm', () => {
  it('refreshes the token at most once per run', async () => {
    const ids = Array.from(
      { length: 25 },
      () => world.zuora.addJob({ queryStatus: 'in_progress' }).id,
    );
    world.zuora.inject(
      { kind: 'status', status: 401, body: '{"message":"Authentication error"}' },
      { route: 'get', times: 1_000 },
    );
    const cancel = await loadFunction('cancel', world.env);

    await captureOutput(() => cancel(cancelEvent({ jobIds: ids }), lambdaContext()));

    expect(world.zuora.requestsTo('token').length).toBeLessThanOrEqual(2);
  });
});

describe('14. diagnostics point the right way', () => {
  it('says a body is not the gzip it claims, not that Zuora is unreachable', async () => {
    world.zuora.addJob({ ageMinutes: 300 });
    world.zuora.inject({ kind: 'bad-encoding' }, { route: 'list' });
    const sweep = await sweepWith();

    const { error } = await run(sweep);

    expect((error as Error).message).toMatch(/gzip|decod/i);
    expect((error as Error).message).not.toMatch(/could not reach/);
  });

  it('refuses a CR/LF in ZUORA_ENTITY_IDS at start-up', async () => {
    const error = await sweepWith({ ZUORA_ENTITY_IDS: 'e1\r\nX-Injected: 1' }).catch(
      (e: unknown) => e,
    );

    expect((error as Error).name).toBe('ConfigError');
    expect((error as Error).message).toMatch(/ZUORA_ENTITY_IDS/);
  });

  it('says why Secrets Manager could not be reached', async () => {
    const sweep = await sweepWith({ AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:9' });

    const { error } = await run(sweep);

    expect((error as Error).message).toMatch(/ECONNREFUSED|connection refused/i);
  });
});

describe('the CLI under rate limiting', () => {
  it('finishes a run whose only pending work is a retry wait (no exit 13)', async () => {
    world.zuora.addJob({ ageMinutes: 300 });
    world.zuora.inject(
      { kind: 'status', status: 429, retryAfter: '1' },
      { route: 'list', times: 2 },
    );

    const result = await runCliProcess(['sweep', '--json'], { env: cliEnv() });

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).counts.wouldCancel).toBe(1);
  });
});

describe('a DELETE whose response was lost', () => {
  it('is reported cancelled when the retry finds the job cancelled', async () => {
    const job = world.zuora.addJob({ ageMinutes: 300 });
    world.zuora.inject({ kind: 'drop-after' }, { route: 'cancel' });
    const sweep = await sweepWith();

    const { report } = await run(sweep);

    expect(world.zuora.job(job.id)?.queryStatus).toBe('cancelled');
    expect(report?.jobs[0]).toMatchObject({ id: job.id, outcome: 'cancelled' });
  });

  it('is reported cancelled when the token expired between the lost answer and the retry', async () => {
    const job = world.zuora.addJob({ ageMinutes: 300 });
    world.zuora.inject({ kind: 'drop-after' }, { route: 'cancel' });
    world.zuora.onRequest = (request) => {
      if (request.route === 'cancel' && request.status === 0) world.zuora.expireTokens();
    };
    const sweep = await sweepWith();

    const { report } = await run(sweep);

    expect(world.zuora.requestsTo('cancel').map((r) => r.status)).toEqual([0, 401, 400]);
    expect(report?.jobs[0]).toMatchObject({ id: job.id, outcome: 'cancelled' });
  });

  it('is reported already-finished when the first attempt never arrived and the job then finished', async () => {
    const job = world.zuora.addJob({ ageMinutes: 300 });
    // Dropped before Zuora handled it; the job finishes on its own before the retry.
    world.zuora.inject({ kind: 'drop' }, { route: 'cancel' });
    world.zuora.onRequest = (request) => {
      if (request.route === 'cancel' && request.status === 0) {
        world.zuora.setStatus(job.id, 'completed');
      }
    };
    const sweep = await sweepWith();

    const { report } = await run(sweep);

    expect(world.zuora.requestsTo('cancel').some((r) => r.cancelledJob)).toBe(false);
    // The retry's 1003 may hide a cancel that worked, so a re-read decided.
    expect(world.zuora.requestsTo('get')).toHaveLength(2);
    expect(report?.jobs[0]).toMatchObject({
      id: job.id,
      outcome: 'already-finished',
      reason: 'Zuora answered 1003: no longer accepted or in_progress',
    });
  });

  it('is failed, saying so, when nothing can confirm whether the cancel took effect', async () => {
    const job = world.zuora.addJob({ ageMinutes: 300 });
    world.zuora.inject({ kind: 'drop-after' }, { route: 'cancel' });
    world.zuora.onRequest = (request) => {
      // After the retry's 1003, the re-read is refused.
      if (request.route === 'cancel' && request.status === 400) {
        world.zuora.inject({ kind: 'status', status: 403 }, { route: 'get' });
      }
    };
    const sweep = await sweepWith();

    const { report } = await run(sweep);

    expect(world.zuora.job(job.id)?.queryStatus).toBe('cancelled');
    expect(report?.jobs[0]).toMatchObject({ id: job.id, outcome: 'failed' });
    expect(report?.jobs[0]?.error).toMatch(/^could not confirm whether the cancel took effect: /);
  });

  it('confirms a cancel whose every answer was lost, by a re-read', async () => {
    const job = world.zuora.addJob({ ageMinutes: 300 });
    // The first attempt is handled and its answer lost, every retry dropped before Zuora sees
    // it: the call ends in a network error, not in a 1003.
    world.zuora.inject({ kind: 'drop-after' }, { route: 'cancel' });
    world.zuora.inject({ kind: 'drop' }, { route: 'cancel', times: 10 });
    const sweep = await sweepWith();

    const { report } = await run(sweep);

    expect(world.zuora.requestsTo('cancel').map((r) => r.status)).toEqual([0, 0, 0, 0, 0]);
    expect(report?.jobs[0]).toMatchObject({ id: job.id, outcome: 'cancelled' });
  });

  it('confirms a cancel it could not hear, and says so in the reason', async () => {
    const job = world.zuora.addJob({ ageMinutes: 300 });
    world.zuora.inject({ kind: 'drop-after' }, { route: 'cancel' });
    const sweep = await sweepWith();

    const { report } = await run(sweep);

    expect(report?.jobs[0]?.id).toBe(job.id);
    expect(report?.jobs[0]?.reason).toMatch(
      /^stale: accepted for 5h\d*m?, over 2h \(confirmed by a re-read: the answer to the cancel was lost\)$/,
    );
  });
});

describe('answers to a cancel that were heard', () => {
  it('reads a job again only when the answer may hide a cancel that worked', async () => {
    const finished = world.zuora.addJob({ ageMinutes: 300 });
    const refused = world.zuora.addJob({ ageMinutes: 400 });
    // The first finishes between the re-read and the DELETE: 1003 on the first attempt.
    world.zuora.finishAfter(finished.id, 'get');
    world.zuora.inject({ kind: 'status', status: 403 }, { route: 'cancel', jobId: refused.id });
    const sweep = await sweepWith();

    const { report } = await run(sweep);

    const reads = world.zuora.requestsTo('get').map((r) => r.jobId);
    expect(reads.filter((id) => id === finished.id)).toHaveLength(1);
    expect(reads.filter((id) => id === refused.id)).toHaveLength(1);
    expect(report?.jobs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: finished.id, outcome: 'already-finished', httpStatus: 400 }),
        expect.objectContaining({ id: refused.id, outcome: 'failed', httpStatus: 403 }),
      ]),
    );
  });

  it('defers a job that moved since it was listed, saying why', async () => {
    const job = world.zuora.addJob({ ageMinutes: 300 });
    // Zuora started it between the list and the re-read: updatedOn is now.
    world.zuora.finishAfter(job.id, 'list', 'in_progress');
    const sweep = await sweepWith();

    const { report } = await run(sweep);

    expect(world.zuora.requestsTo('cancel')).toEqual([]);
    expect(report?.jobs[0]).toMatchObject({
      id: job.id,
      outcome: 'deferred',
      status: 'in_progress',
      reason: 'updated since it was listed: no longer stale',
    });
  });

  it('gives a sweep its stale reason and a request its own, but never over a protect reason', async () => {
    const stale = world.zuora.addJob({ ageMinutes: 300 });
    const sweep = await sweepWith({ JANITOR_PROTECT_CREATED_BY: 'protected-user' });
    const { report } = await run(sweep);
    expect(report?.jobs[0]).toMatchObject({ id: stale.id, outcome: 'cancelled' });
    expect(report?.jobs[0]?.reason).toMatch(/^stale: /);

    const named = world.zuora.addJob({ ageMinutes: 1 });
    const guarded = world.zuora.addJob({ ageMinutes: 1, createdBy: 'protected-user' });
    const cancel = await loadFunction('cancel', {
      ...world.env,
      JANITOR_PROTECT_CREATED_BY: 'protected-user',
    });
    const { result } = await captureOutput(() =>
      cancel(
        cancelEvent({ jobIds: [named.id, guarded.id], reason: 'OPS-1' }),
        lambdaContext(60_000),
      ),
    );
    const jobs = (result as Report).jobs;
    expect(jobs.find((j) => j.id === named.id)).toMatchObject({
      outcome: 'cancelled',
      reason: 'requested: OPS-1',
    });
    expect(jobs.find((j) => j.id === guarded.id)?.outcome).toBe('protected');
    expect(jobs.find((j) => j.id === guarded.id)?.reason).toMatch(/protectCreatedBy/);
  });

  it('says why a named job was not cancelled: gone, finished, or a dry run', async () => {
    const finished = world.zuora.addJob({ ageMinutes: 1, queryStatus: 'completed' });
    const running = world.zuora.addJob({ ageMinutes: 1 });
    const missing = crypto.randomUUID();
    const cancel = await loadFunction('cancel', world.env);
    const ask = async (detail: Record<string, unknown>) => {
      const { result } = await captureOutput(() =>
        cancel(cancelEvent({ reason: 'OPS-2', ...detail }), lambdaContext(60_000)),
      );
      return (result as Report).jobs;
    };

    const jobs = await ask({ jobIds: [finished.id, missing] });
    expect(jobs).toEqual([
      expect.objectContaining({
        id: finished.id,
        outcome: 'already-finished',
        reason: 'completed when read before the cancel',
      }),
      expect.objectContaining({
        id: missing,
        outcome: 'not-found',
        httpStatus: 404,
        reason: 'Zuora answered 404',
      }),
    ]);
    expect(await ask({ jobIds: [running.id], dryRun: true })).toEqual([
      expect.objectContaining({
        id: running.id,
        outcome: 'would-cancel',
        reason: 'requested: OPS-2',
      }),
    ]);
    expect(world.zuora.requestsTo('cancel')).toEqual([]);
  });
});

describe('15. an answer about another job', () => {
  it('never cancels a job the sweep did not list, and fails the one it asked about', async () => {
    const listed = world.zuora.addJob({ ageMinutes: 300 });
    const other = world.zuora.addJob({ ageMinutes: 1, createdBy: 'someone-else' });
    world.zuora.inject(
      {
        kind: 'reshape',
        reshape: (payload) => ({ data: { ...(payload as { data: object }).data, id: other.id } }),
      },
      { route: 'get', jobId: listed.id },
    );
    const sweep = await sweepWith();

    const { report } = await run(sweep);

    expect(world.zuora.requestsTo('cancel')).toEqual([]);
    expect(world.zuora.job(other.id)?.queryStatus).toBe('accepted');
    expect(report?.jobs).toEqual([expect.objectContaining({ id: listed.id, outcome: 'failed' })]);
    expect(report?.jobs[0]?.error).toMatch(/not the id that was asked for/);
  });

  it('never cancels another job than the one a cancel request names', async () => {
    const named = world.zuora.addJob({ ageMinutes: 1 });
    const other = world.zuora.addJob({ ageMinutes: 1 });
    world.zuora.inject(
      {
        kind: 'reshape',
        reshape: (payload) => ({ data: { ...(payload as { data: object }).data, id: other.id } }),
      },
      { route: 'get', jobId: named.id },
    );
    const cancel = await loadFunction('cancel', world.env);

    const { error, output } = await run(cancel, cancelEvent({ jobIds: [named.id] }));

    expect(world.zuora.requestsTo('cancel')).toEqual([]);
    expect(world.zuora.job(other.id)?.queryStatus).toBe('accepted');
    // Kept for redrive: the answer was unusable, not a refusal.
    expect((error as Error)?.message).toMatch(/requested 1, cancelled 0, .*failed 1/);
    const record = jsonLines(output).find((line) => line.message === 'query job');
    expect(record).toMatchObject({ jobId: named.id, outcome: 'failed' });
  });
});

describe('16. one odd field never hides a job', () => {
  it.each([
    ['updatedOn', 1_764_000_000_000, /updatedOn "\(a number\)" is not an ISO 8601 date-time/],
    ['createdBy', 42, /createdBy is not a plain id/],
    ['query', { text: 'select 1' }, /query is missing/],
  ])(
    'a job whose %s is %j is held as one the janitor cannot judge',
    async (field, value, reason) => {
      const job = world.zuora.addJob({ ageMinutes: 300, wire: { [field]: value } });
      const sweep = await sweepWith({
        JANITOR_PROTECT_CREATED_BY: 'c0ffee00-0000-4000-8000-00000000c0fe',
        JANITOR_PROTECT_QUERY_PATTERN: 'nightly',
      });

      const { report } = await run(sweep);

      expect(world.zuora.requestsTo('cancel')).toEqual([]);
      expect(report?.counts).toMatchObject({ stale: 1, protected: 1 });
      expect(report?.jobs[0]).toMatchObject({ id: job.id, outcome: 'protected' });
      expect(report?.jobs[0]?.reason).toMatch(reason);
    },
  );

  it('a job whose remainingRetries or sourceData is odd is still swept by age', async () => {
    const job = world.zuora.addJob({
      ageMinutes: 300,
      wire: { remainingRetries: 'two', sourceData: 7 },
    });
    const sweep = await sweepWith();

    const { report } = await run(sweep);

    expect(report?.jobs[0]).toMatchObject({ id: job.id, outcome: 'cancelled' });
    expect(report?.capacity).toBe('unknown');
  });
});

describe('17. redirects are never followed', () => {
  /** Another host on loopback, recording what reaches it. */
  let elsewhere: Server;
  let elsewhereUrl: string;
  const reachedElsewhere: string[] = [];

  beforeAll(async () => {
    elsewhere = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        reachedElsewhere.push(
          `${req.method} ${req.url} ${req.headers.authorization ?? ''} ${body}`,
        );
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"access_token":"issued-elsewhere","token_type":"bearer","expires_in":3599}');
      });
    });
    elsewhere.listen(0, '127.0.0.2');
    await once(elsewhere, 'listening');
    elsewhereUrl = `http://127.0.0.2:${(elsewhere.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    elsewhere.close();
    await once(elsewhere, 'close');
  });

  beforeEach(() => {
    reachedElsewhere.length = 0;
  });

  it('never sends anything to a host hidden in the base URL path (http://127.0.0.1//host)', async () => {
    // Resolved against the origin, a path starting with `//` names another host: the token
    // request, client secret and all, would go there in clear text.
    const hidden = `${world.zuora.url}/${elsewhereUrl.slice('http:'.length)}`;

    const result = await runCliProcess(['list', '--json'], {
      env: cliEnv({ ZUORA_BASE_URL: hidden }),
    });

    expect(result.stderr).toContain('ZUORA_BASE_URL must not have an empty path segment (//)');
    expect(result.code).toBe(2);
    expect(reachedElsewhere).toEqual([]);
    expect(world.zuora.requests).toEqual([]);
  });

  it('never sends the client credentials where the token endpoint redirects', async () => {
    world.zuora.inject(
      { kind: 'status', status: 307, headers: { location: `${elsewhereUrl}/collect` } },
      { route: 'token' },
    );

    const result = await runCliProcess(['list', '--json'], { env: cliEnv() });

    expect(reachedElsewhere).toEqual([]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'POST /oauth/token failed with HTTP 307: a redirect, not followed',
    );
    expect(leakedForms(`${result.stdout}${result.stderr}`, [defaultClient.clientSecret])).toEqual(
      [],
    );
  });

  it.each([307, 308, 303])(
    'cancels only the job it judged when its DELETE answers %i',
    async (status) => {
      const judged = world.zuora.addJob({ ageMinutes: 300 });
      const fresh = world.zuora.addJob({ ageMinutes: 1, queryStatus: 'in_progress' });
      world.zuora.inject(
        { kind: 'status', status, headers: { location: `/query/jobs/${fresh.id}` } },
        { route: 'cancel', jobId: judged.id },
      );

      const result = await runCliProcess(['sweep', '--no-dry-run', '--json'], { env: cliEnv() });

      expect(world.zuora.job(fresh.id)?.queryStatus).toBe('in_progress');
      expect(world.zuora.requests.filter((request) => request.path.includes(fresh.id))).toEqual([]);
      const report = JSON.parse(result.stdout) as Report;
      // Not followed, so not counted as cancelled (a 303 would have turned it into a GET).
      expect(report.jobs.find((job) => job.id === judged.id)).toMatchObject({
        outcome: 'failed',
        httpStatus: status,
      });
      expect(world.zuora.requestsTo('cancel')).toHaveLength(1);
      expect(result.code).toBe(1);
    },
  );
});

describe('18. a secret echoed in an error body is redacted before the body is read', () => {
  it.each([
    ['two spaces in a plain-text body', 'Cy/x+9=%z  k\u00e9Y-CANARY', 'text/plain'],
    ['markup in an HTML body', 'Cy/x+9=%z<b>k\u00e9Y</b>-CANARY', 'text/html'],
  ])('%s', async (_case, secret, contentType) => {
    world.zuora.inject(
      { kind: 'body', status: 401, body: `<p>invalid client secret ${secret}</p>`, contentType },
      { route: 'token' },
    );

    const result = await runCliProcess(['list', '--json'], {
      env: cliEnv({ ZUORA_CLIENT_SECRET: secret }),
    });
    const printed = `${result.stdout}${result.stderr}`;

    // The message is read (tags dropped, spaces collapsed) only once the secret is gone: read
    // first, the secret would no longer match any form of it and be printed as read.
    expect(result.code).toBe(1);
    expect(printed).toContain('POST /oauth/token failed with HTTP 401');
    expect(printed).toContain('invalid client secret [redacted]');
    const asRead = secret
      .replace(/<[^>]*>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    expect(leakedForms(printed, [secret, asRead])).toEqual([]);
  });
});

describe('19. cancel says when Zuora could not be reached', () => {
  it.each<[string, Fault]>([
    ['never answers', { kind: 'delay', ms: 60_000 }],
    ['throttles for an hour', { kind: 'status', status: 429, retryAfter: '3600' }],
    ['answers 503 to everything', { kind: 'status', status: 503 }],
  ])('exits 1 when Zuora %s until the deadline', async (_case, fault) => {
    const job = world.zuora.addJob({ ageMinutes: 300 });
    world.zuora.inject(fault, { route: 'token', times: 1_000 });

    const result = await runCliProcess(
      ['cancel', job.id, '--no-dry-run', '--json', '--timeout', '3s'],
      { env: cliEnv() },
    );

    expect(world.zuora.requestsTo('cancel')).toEqual([]);
    // Out of time while retrying, or (when the retries fit in the time) out of retries: the
    // job failed. Either way Zuora was never reached, and the exit code says so.
    expect(result.stderr).toMatch(/POST \/oauth\/token (not sent|failed|could not)/);
    expect(result.code).toBe(1);
  });

  it('keeps the report when the jobs were read and only their cancels ran out of time', async () => {
    const jobs = [world.zuora.addJob({ ageMinutes: 300 }), world.zuora.addJob({ ageMinutes: 300 })];
    world.zuora.inject(
      { kind: 'status', status: 429, retryAfter: '100' },
      { route: 'cancel', times: 10 },
    );

    const result = await runCliProcess(
      ['cancel', ...jobs.map((job) => job.id), '--no-dry-run', '--json', '--timeout', '5s'],
      { env: cliEnv() },
    );

    // Zuora was reached (both reads answered): the cancels are deferred, not the run lost.
    const report = JSON.parse(result.stdout) as Report;
    expect(report.counts).toMatchObject({ stale: 2, deferred: 2 });
    // The first 429 holds the run (its Retry-After outlasts it): a cancel not yet sent by then
    // is held too, with the wait, not the 429, as its reason.
    const held = /^deadline reached: waiting \d+ s (to retry )?would outlast the run/;
    expect(report.jobs.map((job) => job.reason)).toEqual([
      expect.stringMatching(held),
      expect.stringMatching(held),
    ]);
    expect(report.jobs.some((job) => job.reason?.includes('HTTP 429'))).toBe(true);
    expect(result.code).toBe(0);
  });

  it('holds the whole run when one 429 asks for longer than the run has left', async () => {
    const jobs = Array.from({ length: 5 }, (_, i) => world.zuora.addJob({ ageMinutes: 300 + i }));
    world.zuora.inject(
      { kind: 'status', status: 429, retryAfter: '3600' },
      { route: 'cancel', times: 1 },
    );

    const result = await runCliProcess(['sweep', '--no-dry-run', '--json', '--timeout', '10m'], {
      env: cliEnv({ JANITOR_CONCURRENCY: '1' }),
    });

    // Zuora asked the tenant for an hour's quiet: the one DELETE that heard it is the only one
    // sent, and every job is deferred to a later run (none failed, none cancelled).
    const report = JSON.parse(result.stdout) as Report;
    expect(world.zuora.requestsTo('cancel')).toHaveLength(1);
    expect(report.counts).toMatchObject({
      stale: jobs.length,
      cancelled: 0,
      deferred: jobs.length,
    });
    expect(report.jobs.map((job) => job.reason)).toEqual(
      jobs.map(() => expect.stringMatching(/^deadline reached: waiting (3600|359\d) s /)),
    );
    expect(result.code).toBe(0);
  });

  it('a cancel event whose cancels ran out of time ends with the counts, so it is kept', async () => {
    const job = world.zuora.addJob({ ageMinutes: 300 });
    world.zuora.inject({ kind: 'status', status: 429, retryAfter: '100' }, { route: 'cancel' });
    const cancel = await loadFunction('cancel', world.env);

    const { error } = await run(cancel, cancelEvent({ jobIds: [job.id] }), 10_000);

    expect((error as Error)?.message).toMatch(/requested 1, .*deferred 1/);
  });

  it('exits 0 when Zuora answers and the job is cancelled (the control)', async () => {
    const job = world.zuora.addJob({ ageMinutes: 300 });

    const result = await runCliProcess(['cancel', job.id, '--no-dry-run', '--json'], {
      env: cliEnv(),
    });

    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as Report).counts.cancelled).toBe(1);
  });
});

describe('20. a secret sent back with its space changed is still redacted', () => {
  it.each([
    ['a tab', '\t'],
    ['a line break', '\n'],
    ['a zero-width space', ' \u200b'],
    ['two spaces', '  '],
  ])('with %s, in a job date and in an error message', async (_name, space) => {
    world.zuora.addClient({ clientId: 'canary-client', clientSecret: SECRET_CANARY });
    const changed = SECRET_CANARY.replace(' ', space);
    const job = world.zuora.addJob({ ageMinutes: 300, wire: { updatedOn: changed } });
    const other = world.zuora.addJob({ ageMinutes: 300 });
    world.zuora.inject(
      { kind: 'status', status: 400, body: JSON.stringify({ code: 7, message: changed }) },
      { route: 'cancel', jobId: other.id },
    );

    const result = await runCliProcess(['sweep', '--no-dry-run', '--json'], {
      env: cliEnv({ ZUORA_CLIENT_ID: 'canary-client', ZUORA_CLIENT_SECRET: SECRET_CANARY }),
    });
    const printed = `${result.stdout}${result.stderr}`;

    const report = JSON.parse(result.stdout) as Report;
    expect(report.jobs.find((held) => held.id === job.id)?.updatedOn).toBe('[redacted]');
    expect(report.jobs.find((failed) => failed.id === other.id)?.error).toMatch(
      /HTTP 400 code 7: \[redacted\]/,
    );
    expect(leakedForms(printed, [SECRET_CANARY], 'canary-client')).toEqual([]);
  });
});

describe('21. a secret sent back disguised is withheld with the message', () => {
  it.each([
    ['a variation selector for its space', (secret: string) => secret.replace(' ', '\ufe0f')],
    ['upper case', (secret: string) => secret.toUpperCase()],
    ['a zero-width space inserted', (secret: string) => secret.replace('CANARY', 'CANA\u200bRY')],
  ])('%s', async (_name, disguise) => {
    world.zuora.addClient({ clientId: 'canary-client', clientSecret: SECRET_CANARY });
    const job = world.zuora.addJob({ ageMinutes: 300 });
    world.zuora.inject(
      {
        kind: 'status',
        status: 400,
        body: JSON.stringify({ code: 7, message: `bad ${disguise(SECRET_CANARY)}` }),
      },
      { route: 'cancel', jobId: job.id },
    );

    const result = await runCliProcess(['sweep', '--no-dry-run', '--json'], {
      env: cliEnv({ ZUORA_CLIENT_ID: 'canary-client', ZUORA_CLIENT_SECRET: SECRET_CANARY }),
    });

    const report = JSON.parse(result.stdout) as Report;
    expect(report.jobs[0]?.error).toMatch(
      /HTTP 400 code 7: \[message withheld: it may hold a secret\]/,
    );
    expect(`${result.stdout}${result.stderr}`).not.toContain(disguise(SECRET_CANARY));
    expect(
      leakedForms(`${result.stdout}${result.stderr}`, [SECRET_CANARY], 'canary-client'),
    ).toEqual([]);
  });
});
