#!/usr/bin/env node
// Command-line entry point; everything else lives in lib/cli.ts. This file owns the process:
// signals, the exit code, and a standard output that may be closed under us (`| head`).
import { EXIT, main } from '../lib/cli/main.ts';

// A reader that went away (`query-janitor list | head`) is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.ok);
  throw error;
});

// First Ctrl-C: stop starting work, let what is in flight finish, print what was done.
// Second Ctrl-C: leave now.
const interrupt = new AbortController();
process.on('SIGINT', () => {
  if (interrupt.signal.aborted) process.exit(EXIT.interrupted);
  process.stderr.write(
    'query-janitor: stopping after the requests in flight (Ctrl-C again to quit now)\n',
  );
  interrupt.abort();
});

process.exitCode = await main(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  signal: interrupt.signal,
});
