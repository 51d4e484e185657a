/**
 * Hostile input: malformed events for both functions, malformed secrets, bad configuration, and
 * malformed Zuora responses. Each gets a clear error naming the problem, sends nothing it should
 * not, carries no secret, and never leads to a wrong cancel.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Report } from '../../lib/janitor/index.ts';
import { defaultClient } from '../emulator/zuora.ts';
import { cancelEvent, sweepEvent } from '../support/events.ts';
import {
  captureOutput,
  exposedText,
  lambdaContext,
  loadFunction,
  secretFor,
  startWorld,
} from '../support/lambda.ts';

const CANARY = 'CANARY-client-secret-4b1d9e';
const UUID = '3a3e85c4-96e7-486b-ae02-827120104301';
const ids = (n: number) =>
  Array.from({ length: n }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);

let world: Awaited<ReturnType<typeof startWorld>>;
let sweep: Awaited<ReturnType<typeof loadFunction>>;
let cancel: Awaited<ReturnType<typeof loadFunction>>;
const tried = { events: 0, secrets: 0, configs: 0, responses: 0 };

beforeAll(async () => {
  world = await startWorld();
  sweep = await loadFunction('sweep', world.env);
  cancel = await loadFunction('cancel', world.env);
});

beforeEach(() => {
  world.zuora.reset();
  world.secrets.reset();
  world.secrets.put('query-janitor/zuora', secretFor(world.zuora));
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await world.close();
  console.info(`hostile inputs tried: ${JSON.stringify(tried)}`);
});

/** A key an event should never quote whole: long, multi-line, shaped like a stack frame. */
const HOSTILE_KEY = `x\n    at /var/task/index.mjs:1:1 \u202ex${'\u0007y'.repeat(50_000)}`;
const MANY_KEYS = Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`k${i}`, i]));
/** What no message may carry: control characters and bidi overrides. */
const UNPRINTABLE = /[\p{Cc}\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/u;

const cancelCorpus: Array<[string, unknown, RegExp]> = [
  ['null', null, /must be a JSON object, got null/],
  ['a string (non-JSON payload)', 'cancel 3a3e85c4', /must be a JSON object, got a string/],
  ['a number', 42, /got a number/],
  ['an array', [cancelEvent({ jobIds: [UUID] })], /got an array/],
  ['an empty object', {}, /handles detail-type "Cancel Query Jobs" only/],
  ['the sweep detail-type', sweepEvent({}), /handles detail-type "Cancel Query Jobs" only/],
  [
    'a lower-case detail-type',
    cancelEvent({ jobIds: [UUID] }, { 'detail-type': 'cancel query jobs' }),
    /detail-type/,
  ],
  ['no detail', cancelEvent(undefined), /detail: /],
  ['a null detail', cancelEvent(null), /detail/],
  ['a string detail', cancelEvent('{"jobIds":[]}'), /detail/],
  ['no jobIds', cancelEvent({ reason: 'x' }), /detail.jobIds/],
  ['jobIds as a string', cancelEvent({ jobIds: UUID }), /detail.jobIds/],
  ['an empty jobIds', cancelEvent({ jobIds: [] }), /at least one job id/],
  ['101 ids', cancelEvent({ jobIds: ids(101) }), /at most 100 job ids/],
  ['a duplicate id', cancelEvent({ jobIds: [UUID, UUID] }), /must not repeat a job id/],
  [
    'a duplicate id in another case',
    cancelEvent({ jobIds: [UUID, UUID.toUpperCase()] }),
    /must not repeat/,
  ],
  [
    'a relative path',
    cancelEvent({ jobIds: ['../../oauth/token'] }),
    /jobIds\[0\]: must be a job UUID/,
  ],
  [
    'an encoded slash',
    cancelEvent({ jobIds: [`${UUID.slice(0, 30)}%2F..%2F`] }),
    /must be a job UUID/,
  ],
  [
    'a query string',
    cancelEvent({ jobIds: [`${UUID}?pageSize=1000`] }),
    /must be a job UUID|Too big/,
  ],
  ['a trailing newline', cancelEvent({ jobIds: [`${UUID}\n`] }), /must be a job UUID|Too big/],
  ['surrounding spaces', cancelEvent({ jobIds: [` ${UUID.slice(1)}`] }), /must be a job UUID/],
  ['a 64-character id', cancelEvent({ jobIds: ['a'.repeat(64)] }), /Too big|must be a job UUID/],
  ['a numeric id', cancelEvent({ jobIds: [12345] }), /expected string/],
  ['a null id', cancelEvent({ jobIds: [null] }), /expected string/],
  ['a huge id', cancelEvent({ jobIds: ['x'.repeat(1_000_000)] }), /Too big/],
  [
    'a reason over 256 characters',
    cancelEvent({ jobIds: [UUID], reason: 'r'.repeat(257) }),
    /detail.reason/,
  ],
  ['a numeric reason', cancelEvent({ jobIds: [UUID], reason: 7 }), /detail.reason/],
  ['dryRun as a string', cancelEvent({ jobIds: [UUID], dryRun: 'false' }), /detail.dryRun/],
  [
    'an extra detail field',
    cancelEvent({ jobIds: [UUID], force: true }),
    /Unrecognized key: "force"/,
  ],
  [
    'a prototype key',
    cancelEvent(JSON.parse(`{"jobIds":["${UUID}"],"__proto__":{"dryRun":false}}`)),
    /Unrecognized key|__proto__/,
  ],
  [
    'an unknown key of 100,000 characters, with line breaks and bidi overrides',
    cancelEvent({ jobIds: [UUID], [HOSTILE_KEY]: true }),
    /detail: Unrecognized key: "x at \/var\/task\/index\.mjs:1:1 \u202e?x/,
  ],
  ['a thousand unknown keys', cancelEvent({ jobIds: [UUID], ...MANY_KEYS }), /and 995 more$/],
  [
    'an unknown key that is query text',
    cancelEvent({ jobIds: [UUID], "select Email from Account where Id='001'": true }),
    /detail: Unrecognized key: "\[key withheld: it may quote query text\]"$/,
  ],
  [
    'another source',
    { ...cancelEvent({ jobIds: [UUID] }), source: 'evil.attacker' },
    /^Cancel Query Jobs events are accepted from source "query-janitor" only$/,
  ],
  [
    'no source',
    { ...cancelEvent({ jobIds: [UUID] }), source: undefined },
    /accepted from source "query-janitor" only/,
  ],
];

const sweepCorpus: Array<[string, unknown, RegExp]> = [
  [
    'an unknown key of 100,000 characters, with line breaks and bidi overrides',
    sweepEvent({ [HOSTILE_KEY]: true }),
    /detail: Unrecognized key: "x at/,
  ],
  [
    'a thousand unknown keys',
    sweepEvent(MANY_KEYS),
    /Unrecognized keys: "k0", "k1", .* and 995 more$/,
  ],
  ['null', null, /must be a JSON object, got null/],
  ['an empty object', {}, /expected \{"trigger":"schedule"\}/],
  ['a wrong trigger', { trigger: 'manual' }, /trigger/],
  ['an unknown schedule field', { trigger: 'schedule', force: true }, /Unrecognized key: "force"/],
  [
    'the cancel detail-type',
    cancelEvent({ jobIds: [UUID] }),
    /handles detail-type "Sweep Query Jobs" only/,
  ],
  ['an unknown detail field', sweepEvent({ dryRun: false, cap: 1000 }), /Unrecognized key: "cap"/],
  [
    'staleAfter under the minimum',
    sweepEvent({ staleAfter: '4m' }),
    /staleAfter: must be a duration of at least 5m/,
  ],
  ['a malformed staleAfter', sweepEvent({ staleAfter: '2 hours' }), /staleAfter/],
  ['a huge staleAfter', sweepEvent({ staleAfter: '9'.repeat(100_000) }), /staleAfter/],
  ['dryRun as a number', sweepEvent({ dryRun: 0 }), /detail.dryRun/],
  [
    'another source',
    { ...sweepEvent({}), source: 'aws.partner/anything' },
    /^Sweep Query Jobs events are accepted from source "query-janitor" only$/,
  ],
];

describe('malformed events', () => {
  it.each(cancelCorpus)('the cancel function refuses %s', async (_name, event, message) => {
    tried.events++;

    const { error, output } = await captureOutput(() => cancel(event, lambdaContext()));

    expect((error as Error)?.name).toBe('InvalidEventError');
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message.length).toBeLessThan(600);
    expect((error as Error).message).not.toMatch(UNPRINTABLE);
    expect(world.zuora.requests).toEqual([]);
    expect(world.secrets.requests).toEqual([]);
    expect(output + exposedText(error)).not.toContain(defaultClient.clientSecret);
  });

  it.each(sweepCorpus)('the sweep function refuses %s', async (_name, event, message) => {
    tried.events++;

    const { error } = await captureOutput(() => sweep(event, lambdaContext()));

    expect((error as Error)?.name).toBe('InvalidEventError');
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message.length).toBeLessThan(600);
    expect((error as Error).message).not.toMatch(UNPRINTABLE);
    expect(world.zuora.requests).toEqual([]);
    expect(world.secrets.requests).toEqual([]);
  });
});

describe('malformed secrets', () => {
  const secretCorpus: Array<[string, string, RegExp]> = [
    ['empty', '', /is not valid JSON/],
    ['plain text', CANARY, /is not valid JSON/],
    [
      'truncated JSON',
      `{"clientId":"${defaultClient.clientId}","clientSecret":"${CANARY}"`,
      /is not valid JSON/,
    ],
    ['a JSON string', JSON.stringify(CANARY), /must be a JSON object/],
    ['a JSON array', JSON.stringify([defaultClient.clientId, CANARY]), /must be a JSON object/],
    [
      'no clientSecret',
      JSON.stringify({ clientId: defaultClient.clientId, baseUrl: 'https://rest.zuora.com' }),
      /clientSecret/,
    ],
    [
      'no clientId',
      JSON.stringify({ clientSecret: CANARY, baseUrl: 'https://rest.zuora.com' }),
      /clientId/,
    ],
    [
      'an empty clientId',
      JSON.stringify({ clientId: '', clientSecret: CANARY }),
      /clientId: must be a non-empty string/,
    ],
    [
      'a numeric clientSecret',
      JSON.stringify({ clientId: 'x', clientSecret: 12345678 }),
      /clientSecret: .*expected string/,
    ],
    [
      'snake_case fields',
      JSON.stringify({ client_id: 'x', client_secret: CANARY }),
      /client_id|client_secret|clientId/,
    ],
    [
      'an extra password field',
      JSON.stringify({ clientId: 'x', clientSecret: CANARY, password: CANARY }),
      /: 1 unrecognized key \(not quoted; only the known keys are allowed\)$/,
    ],
    [
      // The console's key and value columns, swapped: the key is the secret.
      'the secret pasted as a key',
      JSON.stringify({ clientId: 'x', clientSecret: 'y', [CANARY]: 'clientSecret' }),
      /: 1 unrecognized key \(not quoted/,
    ],
    [
      'an http baseUrl',
      JSON.stringify({ clientId: 'x', clientSecret: CANARY, baseUrl: 'http://rest.zuora.com' }),
      /baseUrl .*must use https/,
    ],
    [
      'a baseUrl naming another host in its path',
      JSON.stringify({
        clientId: 'x',
        clientSecret: CANARY,
        baseUrl: 'https://rest.zuora.com//collector.example',
      }),
      /baseUrl .*must not have an empty path segment/,
    ],
    [
      'a baseUrl with credentials',
      JSON.stringify({
        clientId: 'x',
        clientSecret: CANARY,
        baseUrl: `https://u:${CANARY}@rest.zuora.com`,
      }),
      /must not contain credentials/,
    ],
  ];

  it.each(secretCorpus)(
    'a secret that is %s fails the run clearly, without Zuora calls or leaks',
    async (_name, value, message) => {
      tried.secrets++;
      world.secrets.put('query-janitor/zuora', value);
      // A fresh module: the warm one would still have the good secret cached.
      const fresh = await loadFunction('sweep', world.env);

      const { error, output } = await captureOutput(() =>
        fresh({ trigger: 'schedule' }, lambdaContext()),
      );

      expect((error as Error)?.name).toBe('CredentialsError');
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toContain('query-janitor/zuora');
      expect(world.zuora.requests).toEqual([]);
      expect(output + exposedText(error)).not.toContain(CANARY);
    },
  );
});

describe('bad configuration', () => {
  const configCorpus: Array<[string, Record<string, string | undefined>, string]> = [
    ['no secret id', { ZUORA_SECRET_ID: undefined }, 'ZUORA_SECRET_ID is required'],
    ['a blank secret id', { ZUORA_SECRET_ID: '   ' }, 'ZUORA_SECRET_ID is required'],
    ['an http base URL', { ZUORA_BASE_URL: 'http://rest.zuora.com' }, 'ZUORA_BASE_URL'],
    ['a base URL that is not a URL', { ZUORA_BASE_URL: 'rest.zuora.com' }, 'ZUORA_BASE_URL'],
    ['dry-run as "maybe"', { JANITOR_DRY_RUN: 'maybe' }, 'JANITOR_DRY_RUN must be true or false'],
    [
      'a stale-after of 4m',
      { JANITOR_STALE_AFTER: '4m' },
      'JANITOR_STALE_AFTER must be at least 5m',
    ],
    [
      'a stale-after of "2 hours"',
      { JANITOR_STALE_AFTER: '2 hours' },
      'JANITOR_STALE_AFTER must be a duration',
    ],
    [
      'a per-status stale-after of PT1M',
      { JANITOR_STALE_AFTER_IN_PROGRESS: 'PT1M' },
      'JANITOR_STALE_AFTER_IN_PROGRESS must be at least 5m',
    ],
    [
      'a cap of 0',
      { JANITOR_MAX_CANCELS_PER_RUN: '0' },
      'JANITOR_MAX_CANCELS_PER_RUN must be a whole number',
    ],
    ['a cap of -5', { JANITOR_MAX_CANCELS_PER_RUN: '-5' }, 'JANITOR_MAX_CANCELS_PER_RUN'],
    [
      'a fractional concurrency',
      { JANITOR_CONCURRENCY: '2.5' },
      'JANITOR_CONCURRENCY must be a whole number from 1 to 10',
    ],
    ['a concurrency of 11', { JANITOR_CONCURRENCY: '11' }, 'JANITOR_CONCURRENCY'],
    [
      'an invalid protect pattern',
      { JANITOR_PROTECT_QUERY_PATTERN: '(?<' },
      'JANITOR_PROTECT_QUERY_PATTERN is not a valid regular expression',
    ],
  ];

  it.each(configCorpus)(
    '%s fails the cold start with the variable named',
    async (_name, env, message) => {
      tried.configs++;

      const error = await loadFunction('cancel', { ...world.env, ...env }).catch((e: unknown) => e);

      expect((error as Error).name).toBe('ConfigError');
      expect((error as Error).message).toContain(message);
      expect(world.zuora.requests).toEqual([]);
      expect(world.secrets.requests).toEqual([]);
    },
  );
});

describe('malformed Zuora responses', () => {
  /** Bodies no job can be read from: a read fails the job, a list fails the run. */
  const envelopeCorpus: Array<[string, string, string]> = [
    ['a non-JSON body', 'not json at all', 'text/plain'],
    ['an HTML error page with 200', '<html><body>Service maintenance</body></html>', 'text/html'],
    ['an empty body', '', 'application/json'],
    ['a body without data', JSON.stringify({ success: true }), 'application/json'],
  ];
  /** Entries that are not jobs the janitor can identify: a read fails, a list skips them. */
  const entryCorpus: Array<[string, Record<string, unknown>]> = [
    ['a job missing its fields', { id: UUID }],
    [
      'a job whose id is not a UUID',
      { id: '../x', queryStatus: 'accepted', updatedOn: '2020-01-01T00:00:00Z' },
    ],
    ['a numeric status', { id: UUID, queryStatus: 7, updatedOn: '2020-01-01T00:00:00Z' }],
  ];

  it.each(envelopeCorpus)(
    'a read answering %s fails that job with a typed error and no cancel',
    async (_name, body, contentType) => {
      tried.responses++;
      const job = world.zuora.addJob({ ageMinutes: 300 });
      world.zuora.inject({ kind: 'body', body, contentType }, { route: 'get' });

      const { result } = await captureOutput(() => sweep({ trigger: 'schedule' }, lambdaContext()));

      const report = result as Report;
      expect(report.jobs).toEqual([expect.objectContaining({ id: job.id, outcome: 'failed' })]);
      expect(report.jobs[0]?.error).toMatch(/returned an invalid response/);
      expect(world.zuora.requestsTo('cancel')).toEqual([]);
    },
  );

  it.each(entryCorpus)(
    'a read answering %s fails that job with a typed error and no cancel',
    async (_name, entry) => {
      tried.responses++;
      const job = world.zuora.addJob({ ageMinutes: 300 });
      world.zuora.inject({ kind: 'body', body: JSON.stringify({ data: entry }) }, { route: 'get' });

      const { result } = await captureOutput(() => sweep({ trigger: 'schedule' }, lambdaContext()));

      const report = result as Report;
      expect(report.jobs).toEqual([expect.objectContaining({ id: job.id, outcome: 'failed' })]);
      expect(report.jobs[0]?.error).toMatch(/returned an invalid response: data\./);
      expect(world.zuora.requestsTo('cancel')).toEqual([]);
    },
  );

  it.each(envelopeCorpus)(
    'a list answering %s fails the run with a typed error',
    async (_name, body, contentType) => {
      tried.responses++;
      world.zuora.addJob({ ageMinutes: 300 });
      world.zuora.inject({ kind: 'body', body, contentType }, { route: 'list' });

      const { error } = await captureOutput(() => sweep({ trigger: 'schedule' }, lambdaContext()));

      expect((error as Error).name).toBe('ZuoraResponseError');
      expect(world.zuora.requestsTo('cancel')).toEqual([]);
    },
  );

  it.each(entryCorpus)(
    'a list holding %s skips that entry, logs it, and sweeps the rest',
    async (_name, entry) => {
      tried.responses++;
      const good = world.zuora.addJob({ ageMinutes: 300 });
      world.zuora.inject(
        {
          kind: 'reshape',
          reshape: (payload) => ({ data: [entry, ...(payload as { data: unknown[] }).data] }),
        },
        { route: 'list', times: 2 },
      );

      const { result, output } = await captureOutput(() =>
        sweep({ trigger: 'schedule' }, lambdaContext()),
      );

      const report = result as Report;
      expect(report.jobs).toEqual([expect.objectContaining({ id: good.id, outcome: 'cancelled' })]);
      expect(world.zuora.requestsTo('cancel').map((request) => request.jobId)).toEqual([good.id]);
      expect(output).toContain('list entries that are not readable jobs were skipped');
    },
  );

  /** Statuses Zuora does not document: the job is kept, shown, and never judged. */
  const undocumented: Array<[string, string]> = [
    ['Accepted', 'Accepted'],
    ['IN_PROGRESS', 'IN_PROGRESS'],
    ['queued', 'queued'],
    ['', '(blank)'],
    ['accepted\u200b', 'accepted (with characters removed)'],
    [`in_progress\n${'x'.repeat(5_000)}`, `in_progress ${'x'.repeat(27)}…`],
  ];

  it.each(undocumented)(
    'a list holding a job in status %j protects it and sweeps the rest',
    async (queryStatus, shown) => {
      tried.responses++;
      const good = world.zuora.addJob({ ageMinutes: 300 });
      const odd = world.zuora.addJob({ ageMinutes: 300, wire: { queryStatus } });

      const { result } = await captureOutput(() => sweep({ trigger: 'schedule' }, lambdaContext()));

      const report = result as Report;
      expect(report.jobs).toHaveLength(2);
      expect(report.jobs).toEqual([
        expect.objectContaining({ id: odd.id, outcome: 'protected' }),
        expect.objectContaining({ id: good.id, outcome: 'cancelled' }),
      ]);
      expect(report.jobs[0]).toEqual(
        expect.objectContaining({
          id: odd.id,
          status: shown,
          outcome: 'protected',
          reason: `status "${shown}" is not one Zuora documents: not judged`,
        }),
      );
      expect(report.counts).toMatchObject({ scanned: 2, stale: 2, protected: 1 });
      expect(world.zuora.requestsTo('cancel').map((request) => request.jobId)).toEqual([good.id]);
    },
  );

  it.each(undocumented)(
    'a read answering status %j protects the job',
    async (queryStatus, shown) => {
      tried.responses++;
      const job = world.zuora.addJob({ ageMinutes: 300 });
      world.zuora.inject(
        {
          kind: 'body',
          body: JSON.stringify({ data: { id: job.id, queryStatus, updatedOn: job.updatedOn } }),
        },
        { route: 'get' },
      );

      const { result } = await captureOutput(() => sweep({ trigger: 'schedule' }, lambdaContext()));

      expect((result as Report).jobs).toEqual([
        expect.objectContaining({ id: job.id, status: shown, outcome: 'protected' }),
      ]);
      expect(world.zuora.requestsTo('cancel')).toEqual([]);
    },
  );

  it.each(['yesterday', '2020-13-01T00:00:00Z', null])(
    'a read answering updatedOn %j protects the job: its age is unknown',
    async (updatedOn) => {
      tried.responses++;
      const job = world.zuora.addJob({ ageMinutes: 300 });
      world.zuora.inject(
        {
          kind: 'body',
          body: JSON.stringify({ data: { id: job.id, queryStatus: 'accepted', updatedOn } }),
        },
        { route: 'get' },
      );

      const { result } = await captureOutput(() => sweep({ trigger: 'schedule' }, lambdaContext()));

      expect((result as Report).jobs).toEqual([
        expect.objectContaining({ id: job.id, outcome: 'protected', ageSeconds: null }),
      ]);
      expect(world.zuora.requestsTo('cancel')).toEqual([]);
    },
  );

  it('a truncated gzip list fails the run with a typed error and no cancel', async () => {
    tried.responses++;
    for (let i = 0; i < 20; i++) world.zuora.addJob({ ageMinutes: 300 });
    world.zuora.inject({ kind: 'truncated-gzip' }, { route: 'list' });

    const { error } = await captureOutput(() => sweep({ trigger: 'schedule' }, lambdaContext()));

    expect((error as Error).name).toBe('ZuoraResponseError');
    expect(world.zuora.requestsTo('cancel')).toEqual([]);
  });

  it('a list body past the size bound is not read: the run fails, nothing is cancelled', async () => {
    tried.responses++;
    for (let i = 0; i < 3; i++) world.zuora.addJob({ ageMinutes: 300 });
    // 17 MiB of valid JSON: a page no Zuora sends, and more than the janitor reads.
    const body = `{"data":[]${' '.repeat(17 * 1024 * 1024)}}`;
    world.zuora.inject({ kind: 'body', body }, { route: 'list' });

    const { error } = await captureOutput(() => sweep({ trigger: 'schedule' }, lambdaContext()));

    expect((error as Error).name).toBe('ZuoraResponseError');
    expect((error as Error).message).toMatch(/body larger than 16 MiB: not read/);
    expect(world.zuora.requestsTo('cancel')).toEqual([]);
  });

  it('an error body past its bound is cut short, and the error stays one bounded line', async () => {
    tried.responses++;
    const job = world.zuora.addJob({ ageMinutes: 300 });
    const message = `nope ${'x'.repeat(5 * 1024 * 1024)}`;
    world.zuora.inject(
      { kind: 'status', status: 403, body: JSON.stringify({ code: 1009, message }) },
      { route: 'get' },
    );

    const { result } = await captureOutput(() => sweep({ trigger: 'schedule' }, lambdaContext()));

    const entry = (result as Report).jobs[0];
    expect(entry).toMatchObject({ id: job.id, outcome: 'failed', httpStatus: 403 });
    expect(entry?.error?.length).toBeLessThan(1_000);
  });

  it('a cancel answered 200 with the job still running is read again before it is reported', async () => {
    tried.responses++;
    const notTaken = world.zuora.addJob({ ageMinutes: 300 });
    const taken = world.zuora.addJob({ ageMinutes: 310 });
    // Zuora did not cancel the first (the answer is all there is); it did cancel the second, but
    // answered with the job as it was.
    world.zuora.inject(
      {
        kind: 'body',
        body: JSON.stringify({ data: { id: notTaken.id, queryStatus: 'in_progress' } }),
      },
      { route: 'cancel', jobId: notTaken.id },
    );
    world.zuora.inject(
      {
        kind: 'reshape',
        reshape: (payload) => ({
          data: { ...(payload as { data: object }).data, queryStatus: 'in_progress' },
        }),
      },
      { route: 'cancel', jobId: taken.id },
    );

    const { result } = await captureOutput(() => sweep({ trigger: 'schedule' }, lambdaContext()));

    const byId = new Map((result as Report).jobs.map((job) => [job.id, job]));
    expect(byId.get(notTaken.id)).toMatchObject({ outcome: 'failed' });
    expect(byId.get(notTaken.id)?.error).toMatch(/data\.queryStatus is not "cancelled"/);
    expect(byId.get(taken.id)).toMatchObject({ outcome: 'cancelled' });
    expect(byId.get(taken.id)?.reason).toMatch(
      /\(confirmed by a re-read: the answer to the cancel was unclear\)$/,
    );
  });

  it('a cancel answered 200 with the job just completed is a race, not a failure', async () => {
    tried.responses++;
    const job = world.zuora.addJob({ ageMinutes: 300, queryStatus: 'in_progress' });
    world.zuora.inject(
      { kind: 'body', body: JSON.stringify({ data: { id: job.id, queryStatus: 'completed' } }) },
      { route: 'cancel', jobId: job.id },
    );
    // It finished on its own as the cancel arrived.
    world.zuora.onRequest = (request) => {
      if (request.route === 'cancel') world.zuora.setStatus(job.id, 'completed');
    };

    try {
      const { result, error } = await captureOutput(() =>
        cancel(cancelEvent({ jobIds: [job.id] }), lambdaContext()),
      );

      expect(error).toBeUndefined();
      expect((result as Report).jobs[0]).toMatchObject({
        id: job.id,
        outcome: 'already-finished',
        reason: 'completed when read after the cancel',
      });
    } finally {
      world.zuora.onRequest = undefined;
    }
  });

  it('a cancel answering an unexpected 200 body is a failure, not a success', async () => {
    tried.responses++;
    const job = world.zuora.addJob({ ageMinutes: 300 });
    world.zuora.inject({ kind: 'body', body: '{"ok":true}' }, { route: 'cancel' });

    const { result } = await captureOutput(() => sweep({ trigger: 'schedule' }, lambdaContext()));

    expect((result as Report).jobs[0]).toMatchObject({ id: job.id, outcome: 'failed' });
  });
});
