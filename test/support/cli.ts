/** The CLI's `main` in this process, for tests that need its internals in reach. */
import { main } from '../../lib/cli/main.ts';

/** Runs the CLI's `main` in this process with exactly `env`, capturing what it prints. */
export async function runCliInProcess(
  argv: string[],
  env: Record<string, string | undefined>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    env,
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  });
  return { code, stdout, stderr };
}
