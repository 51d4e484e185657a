/**
 * Canary values for the client secret and the access token run through every path (success,
 * dry-run, each kind of failure, both handlers, the CLI), with everything printed, logged,
 * returned or thrown captured. The canaries must never appear, even when Zuora echoes them, or
 * sends them (or query text) as a job's own fields.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Report } from '../../lib/janitor/index.ts';
import { WITHHELD } from '../../lib/zuora/redact.ts';
import { defaultClient } from '../emulator/zuora.ts';
import {
  leakedForms,
  QUERY_CANARY,
  SECRET_CANARY,
  SQL_CANARY,
  TOKEN_CANARY,
  tokenAsOwner,
} from '../support/canaries.ts';
import { runCliInProcess } from '../support/cli.ts';
import { cancelEvent, scheduleInput, sweepEvent } from '../support/events.ts';
import {
  captureOutput,
  exposedText,
  jsonLines,
  lambdaContext,
  loadFunction,
  secretFor,
  startWorld,
} from '../support/lambda.ts';
import { runCliProcess } from '../support/processes.ts';

// Canaries whose characters change under every encoding they travel in (see support/canaries).
let world: Awaited<ReturnType<typeof startWorld>>;
let sweep: Awaited<ReturnType<typeof loadFunction>>;
let cancel: Awaited<ReturnType<typeof loadFunction>>;
let paths = 0;

beforeAll(async () => {
  world = await startWorld();
  // Debug logging: the most a deployment could ever print (retries and pacing log at debug).
  const env = { ...world.env, POWERTOOLS_LOG_LEVEL: 'DEBUG' };
  sweep = await loadFunction('sweep', env);
  cancel = await loadFunction('cancel', env);
});

beforeEach(() => {
  world.zuora.reset();
  world.zuora.tokenPrefix = TOKEN_CANARY;
  world.zuora.rotateSecret(defaultClient.clientId, SECRET_CANARY);
  world.secrets.reset();
  world.secrets.put('query-janitor/zuora', secretFor(world.zuora, { clientSecret: SECRET_CANARY }));
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await world.close();
  console.info(`leak paths checked: ${paths}, leaks: 0`);
});

/** Everything a caller could see: output, the return value, and the error with its causes. */
function everything(captured: { result?: unknown; error?: unknown; output: string }): string {
  return [captured.output, JSON.stringify(captured.result) ?? '', exposedText(captured.error)].join(
    '\n',
  );
}

function expectNoCanary(text: string): void {
  paths++;
  const values = [SECRET_CANARY, ...world.zuora.issuedTokens()];
  expect(leakedForms(text, values, defaultClient.clientId)).toEqual([]);
  expect(text).not.toContain(TOKEN_CANARY);
}

/** A body that echoes the secret (and the last token, once there is one), as a careless server might. */
function echoBody(): string {
  const token = world.zuora.issuedTokens().at(-1);
  const bearer = token ? ` Authorization: Bearer ${token}` : '';
  return JSON.stringify({
    code: 9999,
    message: `bad request client_secret=${SECRET_CANARY}${bearer}`,
  });
}

describe('no secret or token leaks from the handlers', () => {
  it('on a live sweep that cancels jobs', async () => {
    world.zuora.addJob({ ageMinutes: 300 });

    const captured = await captureOutput(() => sweep(scheduleInput, lambdaContext()));

    expect(world.zuora.issuedTokens()[0]).toMatch(/^CANARYTOKEN/);
    expect(captured.output).toContain('"message":"query job"');
    expectNoCanary(everything(captured));
  });

  it('on a dry run', async () => {
    world.zuora.addJob({ ageMinutes: 300 });

    expectNoCanary(
      everything(await captureOutput(() => sweep(sweepEvent({ dryRun: true }), lambdaContext()))),
    );
  });

  it('on a cancel event', async () => {
    const job = world.zuora.addJob({ ageMinutes: 1 });

    expectNoCanary(
      everything(
        await captureOutput(() => cancel(cancelEvent({ jobIds: [job.id] }), lambdaContext())),
      ),
    );
  });

  it('when Zuora rejects the client credentials', async () => {
    world.zuora.rotateSecret(defaultClient.clientId, 'something-else-entirely');

    const captured = await captureOutput(() => sweep(scheduleInput, lambdaContext()));

    expect((captured.error as Error).message).toMatch(/oauth\/token failed with HTTP 401/);
    expectNoCanary(everything(captured));
  });

  it('when the token endpoint echoes the secret in its error', async () => {
    world.zuora.inject(
      { kind: 'status', status: 400, body: echoBody() },
      { route: 'token', times: 3 },
    );

    const captured = await captureOutput(() => sweep(scheduleInput, lambdaContext()));

    expect(captured.error).toBeInstanceOf(Error);
    expect(everything(captured)).toContain('[redacted]');
    expectNoCanary(everything(captured));
  });

  it('when the list fails with a body that echoes the secret and token', async () => {
    world.zuora.addJob({ ageMinutes: 300 });
    // Mint the token first so the echo can contain it.
    await captureOutput(() => sweep(scheduleInput, lambdaContext()));
    world.zuora.inject({ kind: 'status', status: 400, body: echoBody() }, { route: 'list' });

    const captured = await captureOutput(() => sweep(scheduleInput, lambdaContext()));

    expect((captured.error as Error).message).toContain('[redacted]');
    expectNoCanary(everything(captured));
  });

  it('when a cancel fails with a body that echoes the token', async () => {
    const job = world.zuora.addJob({ ageMinutes: 300 });
    await captureOutput(() => sweep(sweepEvent({ dryRun: true }), lambdaContext()));
    world.zuora.inject(
      { kind: 'status', status: 400, body: echoBody() },
      { route: 'cancel', jobId: job.id },
    );

    const captured = await captureOutput(() => sweep(scheduleInput, lambdaContext()));

    expect(JSON.stringify(captured.result)).toContain('[redacted]');
    expectNoCanary(everything(captured));
  });

  it('when an HTML error page echoes the secret, through every retry', async () => {
    world.zuora.inject(
      {
        kind: 'status',
        status: 503,
        contentType: 'text/html',
        body: `<html><body>upstream said ${SECRET_CANARY}</body></html>`,
      },
      { route: 'list', times: 99 },
    );

    expectNoCanary(everything(await captureOutput(() => sweep(scheduleInput, lambdaContext()))));
  });

  it.each([
    ['its first eight characters', 8],
    ['all but its last character', Buffer.byteLength(SECRET_CANARY) - 1],
  ])(
    'when an error body is cut at its size limit inside the echoed secret, leaving %s',
    async (_part, before) => {
      // White space up to the cut (64 KiB), which the message collapses: what was read of the
      // secret would lead the message.
      const body = `${' '.repeat(64 * 1024 - before)}${SECRET_CANARY} rejected`;
      world.zuora.inject(
        { kind: 'status', status: 401, contentType: 'text/html', body },
        { route: 'token', times: 3 },
      );

      const captured = await captureOutput(() => sweep(scheduleInput, lambdaContext()));

      expect((captured.error as Error).message).toMatch(/oauth\/token failed with HTTP 401/);
      expect(everything(captured)).not.toContain(SECRET_CANARY.slice(0, 6));
      expectNoCanary(everything(captured));
    },
  );

  it('when an error echoes the request base64- and hex-encoded, or encoded twice', async () => {
    world.zuora.addJob({ ageMinutes: 300 });
    await captureOutput(() => sweep(sweepEvent({ dryRun: true }), lambdaContext()));
    const token = world.zuora.issuedTokens().at(-1) as string;
    const form = new URLSearchParams({
      client_id: defaultClient.clientId,
      client_secret: SECRET_CANARY,
    }).toString();
    const message = [
      Buffer.from(form).toString('base64'),
      Buffer.from(`Bearer ${token}`).toString('base64'),
      Buffer.from(SECRET_CANARY).toString('hex'),
      encodeURIComponent(encodeURIComponent(SECRET_CANARY)),
    ].join(' | ');
    world.zuora.inject(
      { kind: 'status', status: 400, body: JSON.stringify({ code: 9999, message }) },
      { route: 'list' },
    );

    const captured = await captureOutput(() => sweep(scheduleInput, lambdaContext()));

    const seen = everything(captured);
    expect((captured.error as Error).message).toMatch(/GET \/query\/jobs failed with HTTP 400/);
    for (const encoded of message.split(' | ')) expect(seen).not.toContain(encoded.slice(-24, -2));
    expectNoCanary(seen);
  });

  it('when connections drop', async () => {
    world.zuora.inject({ kind: 'drop' }, { times: 99 });

    expectNoCanary(everything(await captureOutput(() => sweep(scheduleInput, lambdaContext()))));
  });

  it('when the secret cannot be read', async () => {
    // A warm container holds the canary: its first run read the secret and used it.
    const fresh = await loadFunction('sweep', { ...world.env, POWERTOOLS_LOG_LEVEL: 'DEBUG' });
    world.zuora.addJob({ ageMinutes: 300 });
    expect((await captureOutput(() => fresh(scheduleInput, lambdaContext()))).error).toBe(
      undefined,
    );
    // Then Zuora refuses the cached secret (rotated elsewhere), and re-reading it fails.
    world.zuora.rotateSecret(defaultClient.clientId, 'rotated-elsewhere');
    world.zuora.expireTokens();
    world.zuora.addJob({ ageMinutes: 300 });
    const before = world.zuora.requests.length;
    const readsBefore = world.secrets.requests.length;
    world.secrets.failNext(500, 'InternalServiceError');
    world.secrets.failNext(500, 'InternalServiceError');
    world.secrets.failNext(500, 'InternalServiceError');
    world.secrets.failNext(500, 'InternalServiceError');

    const captured = await captureOutput(() => fresh(scheduleInput, lambdaContext()));

    // The run sent the canary it held, was refused, and failed to re-read the secret.
    const minted = world.zuora.requests.slice(before).filter((r) => r.route === 'token');
    expect(minted.map((r) => new URLSearchParams(r.body).get('client_secret'))).toContain(
      SECRET_CANARY,
    );
    expect(world.secrets.requests.slice(readsBefore).map((r) => r.status)).toContain(500);
    expect((captured.error as Error).name).toBe('CredentialsError');
    expectNoCanary(everything(captured));
  });
});

describe('no secret or token leaks from the CLI', () => {
  async function cli(argv: string[], secret = SECRET_CANARY) {
    const { code, stdout, stderr } = await runCliInProcess(argv, {
      ZUORA_CLIENT_ID: defaultClient.clientId,
      ZUORA_CLIENT_SECRET: secret,
      ZUORA_BASE_URL: world.zuora.url,
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
    });
    return { code, text: `${stdout}\n${stderr}` };
  }

  it.each([
    ['list', ['list']],
    ['list --json', ['list', '--json']],
    ['sweep', ['sweep']],
    ['sweep --json --no-dry-run', ['sweep', '--json', '--no-dry-run']],
  ])('on %s', async (_name, argv) => {
    world.zuora.addJob({ ageMinutes: 300 });

    const { code, text } = await cli(argv);

    expect(code).toBe(0);
    expectNoCanary(text);
  });

  it('on bad credentials', async () => {
    world.zuora.rotateSecret(defaultClient.clientId, 'rotated-away');

    const { code, text } = await cli(['sweep', '--json']);

    expect(code).toBe(1);
    expectNoCanary(text);
  });

  it('on an echoing failure', async () => {
    const job = world.zuora.addJob({ ageMinutes: 1 });
    world.zuora.inject(
      { kind: 'status', status: 500, body: JSON.stringify({ message: `secret ${SECRET_CANARY}` }) },
      { route: 'get', times: 99 },
    );

    const { code, text } = await cli(['cancel', job.id, '--no-dry-run']);

    expect(code).toBe(1);
    expectNoCanary(text);
  });
});

describe("no secret, token or query text from a job's own fields (the CLI as a child process)", () => {
  /** Stale jobs whose owner or date is a token, the secret, query text or the job's own query. */
  function jobsThatCarryCanaries() {
    const owners = {
      secret: world.zuora.addJob({ ageMinutes: 300, createdBy: SECRET_CANARY }),
      token: world.zuora.addJob({ ageMinutes: 300 }),
      sql: world.zuora.addJob({ ageMinutes: 300, createdBy: SQL_CANARY }),
      ownQuery: world.zuora.addJob({
        ageMinutes: 300,
        query: QUERY_CANARY,
        createdBy: QUERY_CANARY,
      }),
      containsOwnQuery: world.zuora.addJob({
        ageMinutes: 300,
        query: QUERY_CANARY,
        createdBy: `by ${QUERY_CANARY} \u00e0 9h`,
      }),
    };
    tokenAsOwner(world.zuora, owners.token.id);
    const dates = {
      sql: world.zuora.addJob({ wire: { updatedOn: 'select ssn from contact' } }),
      secret: world.zuora.addJob({ wire: { updatedOn: SECRET_CANARY } }),
      ownQuery: world.zuora.addJob({ query: QUERY_CANARY, wire: { updatedOn: QUERY_CANARY } }),
    };
    return { owners, dates };
  }

  async function cli(args: string[]) {
    const run = await runCliProcess(args, {
      env: {
        ZUORA_CLIENT_ID: defaultClient.clientId,
        ZUORA_CLIENT_SECRET: SECRET_CANARY,
        ZUORA_BASE_URL: world.zuora.url,
        POWERTOOLS_LOG_LEVEL: 'DEBUG',
      },
      timeoutMs: 30_000,
    });
    const text = `${run.stdout}\n${run.stderr}`;
    paths++;
    const values = [SECRET_CANARY, QUERY_CANARY, ...world.zuora.issuedTokens()];
    expect(leakedForms(text, values, defaultClient.clientId)).toEqual([]);
    expect(text).not.toContain(TOKEN_CANARY);
    expect(text).not.toMatch(/select ssn/i);
    return run;
  }

  it.each([
    ['list', ['list']],
    ['list --json', ['list', '--json']],
    ['sweep', ['sweep']],
    ['sweep --no-dry-run', ['sweep', '--no-dry-run']],
  ])(
    'on %s, in what it prints and logs',
    async (_name, argv) => {
      jobsThatCarryCanaries();

      const run = await cli(argv);

      expect(run.code).toBe(0);
      // The jobs are there, with what could be shown of them.
      expect(run.stdout).toContain('[redacted]');
      expect(run.stdout).toContain(WITHHELD);
      expect(run.stdout).toMatch(/is not an ISO 8601 date-time/);
    },
    40_000,
  );

  it.each([
    ['sweep --json', ['sweep', '--json']],
    ['sweep --json --no-dry-run', ['sweep', '--json', '--no-dry-run']],
  ])(
    'on %s, in the report and the logs',
    async (_name, argv) => {
      const { owners, dates } = jobsThatCarryCanaries();

      const run = await cli(argv);

      expect(run.code).toBe(0);
      const report = JSON.parse(run.stdout) as Report;
      const byId = new Map(report.jobs.map((job) => [job.id, job]));
      expect(byId.get(owners.secret.id)?.createdBy).toBe('[redacted]');
      expect(byId.get(owners.token.id)?.createdBy).toBe('[redacted]');
      for (const job of [owners.sql, owners.ownQuery, owners.containsOwnQuery]) {
        expect(byId.get(job.id)?.createdBy).toBe(WITHHELD);
      }
      expect(byId.get(dates.sql.id)).toMatchObject({
        outcome: 'protected',
        updatedOn: WITHHELD,
        reason: `updatedOn "${WITHHELD}" is not an ISO 8601 date-time: age unknown`,
      });
      expect(byId.get(dates.secret.id)).toMatchObject({
        outcome: 'protected',
        updatedOn: '[redacted]',
        reason: 'updatedOn "[redacted]" is not an ISO 8601 date-time: age unknown',
      });
      expect(byId.get(dates.ownQuery.id)).toMatchObject({
        outcome: 'protected',
        updatedOn: WITHHELD,
      });
      const { scanned: _scanned, stale, ...outcomes } = report.counts;
      expect(stale).toBe(8);
      expect(Object.values(outcomes).reduce((sum, count) => sum + count, 0)).toBe(stale);
      // Each job's log record shows what the report shows.
      const records = jsonLines(run.stderr).filter((line) => line.message === 'query job');
      expect(records.find((line) => line.jobId === owners.token.id)?.createdBy).toBe('[redacted]');
    },
    40_000,
  );

  it('on cancel', async () => {
    const { owners, dates } = jobsThatCarryCanaries();
    const ids = [...Object.values(owners), ...Object.values(dates)].map((job) => job.id);

    const run = await cli(['cancel', ...ids, '--no-dry-run', '--json']);

    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.counts).toMatchObject({ stale: 8, cancelled: 5, protected: 3 });
    expect(report.jobs.find((job) => job.id === dates.sql.id)?.reason).toBe(
      `updatedOn "${WITHHELD}" is not an ISO 8601 date-time: age unknown`,
    );
  }, 40_000);
});
