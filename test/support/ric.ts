/**
 * A function bundle run as Lambda runs it: the real runtime interface client (`aws-lambda-ric`,
 * its native client compiled at install) in a Node.js process of its own, with the bundle as
 * its task root, talking to {@link LambdaRuntimeApi}. Warm across invocations until stopped.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { type InvocationResult, LambdaRuntimeApi } from '../emulator/lambda-runtime.ts';

const RIC = join(
  dirname(createRequire(import.meta.url).resolve('aws-lambda-ric/package.json')),
  'index.mjs',
);

/** The answer to one invocation, or how the runtime ended without one. */
export type RicInvocation =
  | InvocationResult
  | { outcome: 'timeout' | 'exited'; payload?: undefined; durationMs: number };

/** A warm runtime process. */
export class RicFunction {
  readonly #api: LambdaRuntimeApi;
  readonly #child: ChildProcess;
  readonly #exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the runtime printed (the function's logs and EMF metrics go to stdout). */
  output = '';

  private constructor(api: LambdaRuntimeApi, child: ChildProcess) {
    this.#api = api;
    this.#child = child;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.output += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.output += chunk;
    });
    this.#exited = once(child, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
  }

  /**
   * Starts the runtime on a copy of `bundle` (alone in a fresh task root: a stray bare import
   * would fail there, as in Lambda) and of `files` (e.g. the asset's `fleet.json`), with Lambda's
   * variables and `env`.
   */
  static async start(
    bundle: string,
    env: Record<string, string>,
    options: { memoryMb?: number; files?: readonly string[] } = {},
  ): Promise<RicFunction> {
    const taskRoot = mkdtempSync(join(tmpdir(), 'qj-task-'));
    copyFileSync(bundle, join(taskRoot, 'index.mjs'));
    if (existsSync(`${bundle}.map`)) copyFileSync(`${bundle}.map`, join(taskRoot, 'index.mjs.map'));
    for (const file of options.files ?? []) copyFileSync(file, join(taskRoot, basename(file)));
    const api = await LambdaRuntimeApi.start();
    const memoryMb = options.memoryMb ?? 256;
    const child = spawn(process.execPath, [RIC], {
      cwd: taskRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '',
        AWS_LAMBDA_RUNTIME_API: api.address,
        _HANDLER: 'index.handler',
        LAMBDA_TASK_ROOT: taskRoot,
        AWS_LAMBDA_FUNCTION_NAME: 'query-janitor',
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
        AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/query-janitor',
        AWS_LAMBDA_LOG_STREAM_NAME: '2026/11/28/[$LATEST]0123456789abcdef',
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
        // Lambda says how the environment started; Powertools reads it to tell a cold start.
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        AWS_REGION: 'us-east-1',
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'AKIDEMULATOR',
        AWS_SECRET_ACCESS_KEY: 'emulator-only',
        TZ: ':UTC',
        ...env,
      },
    });
    return new RicFunction(api, child);
  }

  /**
   * Invokes the function with `event` and a deadline `timeoutMs` away; resolves with its answer,
   * or with `timeout` (killed, as Lambda would) or `exited` (the runtime died).
   */
  async invoke(event: unknown, timeoutMs: number): Promise<RicInvocation> {
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      this.#api.invoke(event, timeoutMs),
      new Promise<RicInvocation>((resolve) => {
        timer = setTimeout(
          () => resolve({ outcome: 'timeout', durationMs: Date.now() - started }),
          timeoutMs + 1_000,
        );
      }),
      this.#exited.then(
        (): RicInvocation => ({ outcome: 'exited', durationMs: Date.now() - started }),
      ),
    ]);
    clearTimeout(timer);
    return result;
  }

  /** The init error the runtime reported, if the module failed to load. */
  get initError(): unknown {
    return this.#api.initError;
  }

  /** Stops the runtime (SIGTERM, as Lambda does) and the emulator. */
  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null)
      this.#child.kill('SIGTERM');
    await this.#exited;
    await this.#api.close();
  }
}
