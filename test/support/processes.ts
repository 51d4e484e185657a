/** The CLI as users run it: a child process of the real `bin/query-janitor.ts`. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

/** AWS settings for a CLI that reaches only emulators: a region and credentials no one checks. */
export const EMULATED_AWS_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDEMULATOR',
  AWS_SECRET_ACCESS_KEY: 'emulator-only',
  AWS_EC2_METADATA_DISABLED: 'true',
} as const;

/** How a CLI process ended, and everything it printed. */
export interface CliProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options of {@link runCliProcess}. */
export interface CliProcessOptions {
  /** The whole environment of the process (nothing is inherited but PATH and HOME). */
  env?: Record<string, string | undefined>;
  /** Killed with SIGKILL after this long, so a hung CLI fails its test instead of the suite. */
  timeoutMs?: number;
  /** Called once the process has started, e.g. to send it a signal later. */
  onStart?: (child: ChildProcess) => void;
  /** Called with each chunk written to standard output. */
  onStdout?: (chunk: string, child: ChildProcess) => void;
}

/** Runs `query-janitor <args>` in a fresh Node.js process. */
export async function runCliProcess(
  args: readonly string[],
  options: CliProcessOptions = {},
): Promise<CliProcessResult> {
  const child = spawn(process.execPath, ['bin/query-janitor.ts', ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      ...EMULATED_AWS_ENV,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    options.onStdout?.(chunk, child);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  options.onStart?.(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  return { code, signal, stdout, stderr };
}
