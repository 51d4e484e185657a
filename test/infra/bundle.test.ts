/**
 * Tests what ships: synthesizes the stack with real esbuild bundling, takes each function's
 * bundle out of the cloud assembly into an empty folder (no node_modules to fall back on), and
 * invokes its handler in a fresh Node.js process against the emulators.
 */
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BundleInvocation,
  invokeBundle,
  type SynthesizedFunction,
  synthesizeFunctions,
} from '../support/bundles.ts';
import { cancelEvent, scheduleInput } from '../support/events.ts';
import { startWorld } from '../support/lambda.ts';
import { RicFunction } from '../support/ric.ts';

let world: Awaited<ReturnType<typeof startWorld>>;
let workDir: string;
const bundles = { sweep: '', cancel: '' };
let synthesized: Record<'sweep' | 'cancel', SynthesizedFunction>;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'qj-bundle-'));
  synthesized = synthesizeFunctions(join(workDir, 'cdk.out'));
  for (const name of ['sweep', 'cancel'] as const) {
    // Only the bundle travels: an empty folder means a stray bare import would fail here.
    bundles[name] = join(mkdtempSync(join(workDir, `${name}-`)), 'index.mjs');
    copyFileSync(synthesized[name].bundle, bundles[name]);
  }
  world = await startWorld();
}, 120_000);

afterAll(async () => {
  await world?.close();
  rmSync(workDir, { recursive: true, force: true });
});

/** Invokes a bundle's handler once, from a folder with no node_modules, against the emulators. */
async function invokeOnce(
  bundle: string,
  event: unknown,
): Promise<BundleInvocation & { stdout: string }> {
  const { invocations, stdout } = await invokeBundle(bundle, [event], {
    env: world.env,
    cwd: tmpdir(),
  });
  return { ...invocations[0], stdout };
}

describe('the synthesized function bundles', () => {
  it('are single ESM files found in the cloud assembly', () => {
    for (const bundle of Object.values(bundles)) expect(existsSync(bundle)).toBe(true);
  });

  it('sweep bundle handles an EventBridge Scheduler input against the emulators', async () => {
    const stale = world.zuora.addJob({ ageMinutes: 300 });
    world.zuora.addJob({ ageMinutes: 5 });

    const { report, stdout } = await invokeOnce(bundles.sweep, scheduleInput);

    expect(report).toMatchObject({
      trigger: 'schedule',
      dryRun: false,
      counts: { scanned: 2, stale: 1, cancelled: 1 },
    });
    expect(world.zuora.job(stale.id)?.queryStatus).toBe('cancelled');
    expect(world.secrets.requests.at(-1)).toMatchObject({
      target: 'secretsmanager.GetSecretValue',
      signed: true,
      status: 200,
    });
    expect(stdout).toContain('"_aws"');
  });

  it('sweep bundle under the Lambda runtime: a cold start is logged and counted once, then warm', async () => {
    const fn = await RicFunction.start(bundles.sweep, {
      ...world.env,
      POWERTOOLS_METRICS_NAMESPACE: 'QueryJanitorTest',
    });
    try {
      const invocationOutput = async () => {
        const before = fn.output.length;
        const result = await fn.invoke(scheduleInput, 10_000);
        expect(result.outcome, fn.output.slice(-2_000)).toBe('response');
        // The runtime writes what the function logs as it happens; the summary comes last.
        return fn.output.slice(before);
      };
      const lines = (output: string) =>
        output
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as Record<string, unknown>);

      const cold = lines(await invocationOutput());
      const warm = lines(await invocationOutput());

      const logged = (records: Record<string, unknown>[]) =>
        records.filter((record) => 'cold_start' in record).map((record) => record.cold_start);
      expect(logged(cold).length).toBeGreaterThan(0);
      expect(new Set(logged(cold))).toEqual(new Set([true]));
      expect(logged(warm).length).toBeGreaterThan(0);
      expect(new Set(logged(warm))).toEqual(new Set([false]));
      const coldStartMetrics = (records: Record<string, unknown>[]) =>
        records.filter((record) => record.ColdStart === 1).length;
      expect(coldStartMetrics(cold)).toBe(1);
      expect(coldStartMetrics(warm)).toBe(0);
    } finally {
      await fn.stop();
    }
  });

  it('cancel bundle handles a real-shaped Cancel Query Jobs event', async () => {
    const job = world.zuora.addJob({ ageMinutes: 2, queryStatus: 'in_progress' });

    const { report } = await invokeOnce(
      bundles.cancel,
      cancelEvent({ jobIds: [job.id], reason: 'stuck export' }),
    );

    expect(report).toMatchObject({ trigger: 'cancel-event', counts: { stale: 1, cancelled: 1 } });
    expect(world.zuora.job(job.id)?.queryStatus).toBe('cancelled');
  });

  it('cancel bundle refuses a malformed event with a clear error and no Zuora call', async () => {
    const before = world.zuora.requests.length;

    const { error } = await invokeOnce(bundles.cancel, cancelEvent({ jobIds: ['../oauth/token'] }));

    expect(error).toEqual({
      name: 'InvalidEventError',
      message: 'Invalid Cancel Query Jobs event: detail.jobIds[0]: must be a job UUID',
    });
    expect(world.zuora.requests.length).toBe(before);
  });

  /** Every frame of the function's own code in source positions (the runtime's are its own). */
  function expectSourcePositions(trace: readonly string[], thrownIn: RegExp): void {
    // The frame that threw names the source file that threw, not the bundle's line 1.
    expect(trace[1]).toMatch(thrownIn);
    const ownFrames = trace.slice(1).filter((frame) => !/aws-lambda-ric|[( ]node:/.test(frame));
    expect(ownFrames.length).toBeGreaterThan(1);
    for (const frame of ownFrames) {
      expect(frame).toMatch(/\b(lib|functions|node_modules)\/[^:]+\.(ts|js):\d+:\d+\)?$/);
    }
  }

  /** Starts a function under the runtime as deployed: the template's variables, its asset's files. */
  function startAsDeployed(name: 'sweep' | 'cancel', fleetFile?: string): Promise<RicFunction> {
    const { bundle, environment } = synthesized[name];
    const { LAMBDA_TASK_ROOT: assetFolder = '', ...variables } = environment;
    expect(variables.NODE_OPTIONS).toBeUndefined();
    return RicFunction.start(bundle, variables, {
      files: [fleetFile ?? join(assetFolder, 'fleet.json')],
    });
  }

  it.each([
    ['sweep', { trigger: 'schedule', tenant: 'no-such-tenant' }],
    ['cancel', cancelEvent({ jobIds: ['../oauth/token'] })],
  ] as const)(
    '%s: report a failed invocation to the Lambda runtime with its stack in source positions',
    async (name, event) => {
      const fn = await startAsDeployed(name);
      try {
        const result = await fn.invoke(event, 10_000);

        expect(result.outcome).toBe('error');
        const { errorType, trace } = result.payload as { errorType: string; trace: string[] };
        expect(errorType).toBe('InvalidEventError');
        expectSourcePositions(trace, /^\s+at .*\blib\/events\.ts:\d+:\d+\)?$/);
      } finally {
        await fn.stop();
      }
    },
  );

  it('take command events from the source the configuration names, and from no other', async () => {
    const { LAMBDA_TASK_ROOT: assetFolder = '' } = synthesized.cancel.environment;
    const document = JSON.parse(readFileSync(join(assetFolder, 'fleet.json'), 'utf8'));
    document.config.eventSource = 'acme.ops';
    const fleetFile = join(mkdtempSync(join(workDir, 'source-')), 'fleet.json');
    writeFileSync(fleetFile, JSON.stringify(document));
    const fn = await startAsDeployed('cancel', fleetFile);
    try {
      const event = cancelEvent({ jobIds: ['6f1d2c3b-0a9e-4b8c-9d7e-5f4a3b2c1d0e'] });
      const errorOf = async (source: string) => {
        const result = await fn.invoke({ ...event, source }, 10_000);
        expect(result.outcome).toBe('error');
        return result.payload as { errorType: string; errorMessage: string };
      };

      expect(await errorOf('query-janitor')).toEqual(
        expect.objectContaining({
          errorType: 'InvalidEventError',
          errorMessage: 'Cancel Query Jobs events are accepted from source "acme.ops" only',
        }),
      );
      // Accepted: it goes on to read the secret, which in this template is a placeholder.
      expect((await errorOf('acme.ops')).errorType).not.toBe('InvalidEventError');
    } finally {
      await fn.stop();
    }
  });

  it('refuse an event with a 280,000-character unknown key in time, quoting a bounded part of it', async () => {
    const fn = await startAsDeployed('sweep');
    try {
      const hostileKey = '\n    at /var/task/index.mjs:1:1'.repeat(9_000);
      const result = await fn.invoke(
        { trigger: 'schedule', tenant: 'default', [hostileKey]: true },
        10_000,
      );

      // The runtime hears of it (a message too long for its error header would never arrive).
      expect(result.outcome).toBe('error');
      const { errorType, errorMessage } = result.payload as {
        errorType: string;
        errorMessage: string;
      };
      expect(errorType).toBe('InvalidEventError');
      expect(errorMessage).toMatch(/Unrecognized key: "at \/var\/task\/index\.mjs:1:1 at .*…"$/);
      expect(errorMessage.length).toBeLessThan(300);
    } finally {
      await fn.stop();
    }
  });

  it('report a failed start-up (an unreadable configuration file) with its stack in source positions', async () => {
    const broken = join(mkdtempSync(join(workDir, 'broken-')), 'fleet.json');
    writeFileSync(broken, '{"version": 1, "config": ');
    const fn = await startAsDeployed('sweep', broken);
    try {
      const result = await fn.invoke({ trigger: 'schedule' }, 10_000);

      expect(result.outcome).not.toBe('response');
      const { errorType, errorMessage, trace } = fn.initError as {
        errorType: string;
        errorMessage: string;
        trace: string[];
      };
      expect(errorType).toBe('ConfigError');
      expect(errorMessage).toBe('Invalid configuration in the code asset: is not valid JSON');
      expectSourcePositions(trace, /^\s+at .*\blib\/config\.ts:\d+:\d+\)?$/);
    } finally {
      await fn.stop();
    }
  });
});
