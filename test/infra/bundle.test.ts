/**
 * Tests what ships: synthesizes the stack with real esbuild bundling, takes each function's
 * bundle out of the cloud assembly into an empty folder (no node_modules to fall back on), and
 * invokes its handler in a fresh Node.js process against the emulators.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryJanitorStack } from '../../infra/stack.ts';
import type { Report } from '../../lib/janitor/index.ts';
import { cancelEvent, scheduleInput } from '../support/events.ts';
import { startWorld } from '../support/lambda.ts';

let world: Awaited<ReturnType<typeof startWorld>>;
let workDir: string;
const bundles: Record<'SweepFunction' | 'CancelFunction', string> = {
  SweepFunction: '',
  CancelFunction: '',
};

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'qj-bundle-'));
  const outdir = join(workDir, 'cdk.out');
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new QueryJanitorStack(app, 'QueryJanitor');
  const assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template as {
    Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
  };
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const name = id.includes('SweepFunction') ? 'SweepFunction' : 'CancelFunction';
    const assetDir = join(outdir, resource.Metadata?.['aws:asset:path'] as string);
    // Only the bundle travels: an empty folder means a stray bare import would fail here.
    const isolated = mkdtempSync(join(workDir, `${name}-`));
    bundles[name] = join(isolated, 'index.mjs');
    copyFileSync(join(assetDir, 'index.mjs'), bundles[name]);
  }
  world = await startWorld();
}, 120_000);

afterAll(async () => {
  await world?.close();
  rmSync(workDir, { recursive: true, force: true });
});

/** Invokes a bundle's handler in a fresh Node process with a Lambda-like context. */
async function invokeBundle(bundle: string, event: unknown, env: Record<string, string> = {}) {
  const script = `
    const { handler } = await import(${JSON.stringify(bundle)});
    const end = Date.now() + 60000;
    const context = {
      functionName: 'query-janitor', functionVersion: '$LATEST', memoryLimitInMB: '256',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:query-janitor',
      awsRequestId: crypto.randomUUID(), getRemainingTimeInMillis: () => end - Date.now(),
    };
    try {
      const report = await handler(JSON.parse(process.env.EVENT), context);
      process.stdout.write('\\nREPORT ' + JSON.stringify(report) + '\\n');
    } catch (error) {
      process.stdout.write('\\nERROR ' + JSON.stringify({ name: error.name, message: error.message }) + '\\n');
    }`;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '-e', script],
    {
      cwd: tmpdir(),
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'AKIDEMULATOR',
        AWS_SECRET_ACCESS_KEY: 'emulator-only',
        AWS_LAMBDA_FUNCTION_NAME: 'query-janitor',
        POWERTOOLS_SERVICE_NAME: 'query-janitor',
        POWERTOOLS_METRICS_NAMESPACE: 'QueryJanitor',
        ...world.env,
        ...env,
        EVENT: JSON.stringify(event),
      },
    },
  );
  const report = /^REPORT (.*)$/m.exec(stdout)?.[1];
  const error = /^ERROR (.*)$/m.exec(stdout)?.[1];
  return {
    stdout,
    report: report ? (JSON.parse(report) as Report) : undefined,
    error: error ? (JSON.parse(error) as { name: string; message: string }) : undefined,
  };
}

describe('the synthesized function bundles', () => {
  it('are single ESM files found in the cloud assembly', () => {
    for (const bundle of Object.values(bundles)) expect(existsSync(bundle)).toBe(true);
  });

  it('sweep bundle handles an EventBridge Scheduler input against the emulators', async () => {
    const stale = world.zuora.addJob({ ageMinutes: 300 });
    world.zuora.addJob({ ageMinutes: 5 });

    const { report, stdout } = await invokeBundle(bundles.SweepFunction, scheduleInput);

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

  it('cancel bundle handles a real-shaped Cancel Query Jobs event', async () => {
    const job = world.zuora.addJob({ ageMinutes: 2, queryStatus: 'in_progress' });

    const { report } = await invokeBundle(
      bundles.CancelFunction,
      cancelEvent({ jobIds: [job.id], reason: 'stuck export' }),
    );

    expect(report).toMatchObject({ trigger: 'cancel-event', counts: { stale: 1, cancelled: 1 } });
    expect(world.zuora.job(job.id)?.queryStatus).toBe('cancelled');
  });

  it('cancel bundle refuses a malformed event with a clear error and no Zuora call', async () => {
    const before = world.zuora.requests.length;

    const { error } = await invokeBundle(
      bundles.CancelFunction,
      cancelEvent({ jobIds: ['../oauth/token'] }),
    );

    expect(error).toEqual({
      name: 'InvalidEventError',
      message: 'Invalid Cancel Query Jobs event: detail.jobIds[0]: must be a job UUID',
    });
    expect(world.zuora.requests.length).toBe(before);
  });
});
