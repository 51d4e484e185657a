/**
 * The function bundles as CDK synthesizes them, and a way to invoke one in a fresh Node.js
 * process with a Lambda-like context. Shared by the bundle test and the benchmark.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { QueryJanitorStack } from '../../infra/stack.ts';
import type { Report } from '../../lib/janitor/index.ts';

/** A synthesized function: its bundle, and the environment the template gives it. */
export interface SynthesizedFunction {
  /** `index.mjs` in the function's asset folder (beside it: `fleet.json`, the source map). */
  readonly bundle: string;
  /**
   * The function's variables as the template sets them, each value CloudFormation resolves at
   * deploy time (a table name, a secret ARN) replaced by a placeholder, plus `LAMBDA_TASK_ROOT`:
   * the asset folder, as Lambda sets it.
   */
  readonly environment: Record<string, string>;
}

/** Synthesizes the stack into `outdir` with real bundling; returns each function as deployed. */
export function synthesizeFunctions(
  outdir: string,
): Record<'sweep' | 'cancel', SynthesizedFunction> {
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new QueryJanitorStack(app, 'QueryJanitor');
  const template = app.synth().getStackByName(stack.stackName).template as {
    Resources: Record<string, SynthesizedResource>;
  };
  const functions: Partial<Record<'sweep' | 'cancel', SynthesizedFunction>> = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const name = id.includes('SweepFunction') ? 'sweep' : 'cancel';
    const taskRoot = join(outdir, resource.Metadata?.['aws:asset:path'] as string);
    const environment: Record<string, string> = { LAMBDA_TASK_ROOT: taskRoot };
    for (const [key, value] of Object.entries(resource.Properties?.Environment?.Variables ?? {})) {
      environment[key] =
        typeof value === 'string' ? value : `placeholder-${key.toLowerCase().replaceAll('_', '-')}`;
    }
    functions[name] = { bundle: join(taskRoot, 'index.mjs'), environment };
  }
  if (!functions.sweep || !functions.cancel)
    throw new Error('the template has no janitor functions');
  return { sweep: functions.sweep, cancel: functions.cancel };
}

interface SynthesizedResource {
  Type: string;
  Metadata?: Record<string, string>;
  Properties?: { Environment?: { Variables?: Record<string, unknown> } };
}

/** Synthesizes the stack into `outdir` with real bundling; returns each function's `index.mjs`. */
export function synthesizeBundles(outdir: string): { sweep: string; cancel: string } {
  const { sweep, cancel } = synthesizeFunctions(outdir);
  return { sweep: sweep.bundle, cancel: cancel.bundle };
}

/**
 * JavaScript (for a child's ES module script) that evaluates to the child's own peak RSS in KB.
 * Not `process.resourceUsage().maxRSS`: Linux carries the parent's resident size over a
 * fork/exec into the child's `ru_maxrss`, so a child of a 600 MB parent reports 600 MB.
 * `VmHWM` is the high-water mark of the child's own address space.
 */
export const PEAK_RSS_KB_SCRIPT =
  "Number(/VmHWM:\\s+(\\d+) kB/.exec((await import('node:fs')).readFileSync('/proc/self/status', 'utf8'))[1])";

/** What one invocation returned or threw. */
export interface BundleInvocation {
  report?: Report;
  error?: { name: string; message: string };
}

/** Options of {@link invokeBundle}. */
export interface InvokeBundleOptions {
  /** Added to a minimal environment (PATH, region and dummy AWS credentials). */
  env?: Record<string, string>;
  /** Node/V8 flags for the process (the benchmark passes Lambda's memory flags). */
  nodeFlags?: string[];
  cwd?: string;
}

/**
 * Imports `bundle` in a fresh Node process and invokes its handler once per event, in order, in
 * that one (warm) process. Returns each invocation's report or error and the process's peak RSS.
 */
export async function invokeBundle(
  bundle: string,
  events: readonly unknown[],
  options: InvokeBundleOptions = {},
): Promise<{ invocations: BundleInvocation[]; maxRssKb: number; stdout: string }> {
  const script = `
    const { handler } = await import(${JSON.stringify(bundle)});
    const invocations = [];
    for (const event of JSON.parse(process.env.EVENTS)) {
      const end = Date.now() + 600000;
      const context = {
        functionName: 'query-janitor', functionVersion: '$LATEST', memoryLimitInMB: '256',
        invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:query-janitor',
        awsRequestId: crypto.randomUUID(), getRemainingTimeInMillis: () => end - Date.now(),
      };
      try {
        invocations.push({ report: await handler(event, context) });
      } catch (error) {
        invocations.push({ error: { name: error.name, message: error.message } });
      }
    }
    process.stdout.write('\\nRESULT ' + JSON.stringify({ invocations, maxRssKb: ${PEAK_RSS_KB_SCRIPT} }) + '\\n');`;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...(options.nodeFlags ?? []), '--input-type=module', '-e', script],
    {
      maxBuffer: 64 * 1024 * 1024,
      ...(options.cwd ? { cwd: options.cwd } : {}),
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'AKIDEMULATOR',
        AWS_SECRET_ACCESS_KEY: 'emulator-only',
        AWS_LAMBDA_FUNCTION_NAME: 'query-janitor',
        POWERTOOLS_SERVICE_NAME: 'query-janitor',
        POWERTOOLS_METRICS_NAMESPACE: 'QueryJanitor',
        ...options.env,
        EVENTS: JSON.stringify(events),
      },
    },
  );
  const result = /^RESULT (.*)$/m.exec(stdout)?.[1];
  if (!result) throw new Error(`the bundle process printed no result:\n${stdout}`);
  return {
    ...(JSON.parse(result) as { invocations: BundleInvocation[]; maxRssKb: number }),
    stdout,
  };
}
