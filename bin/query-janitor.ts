#!/usr/bin/env node
// Command-line entry point; everything lives in lib/cli.ts.
import { main } from '../lib/cli.ts';

process.exitCode = await main(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
