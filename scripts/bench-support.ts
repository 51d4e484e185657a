/** What the benchmark's modules share: where they work, how they print figures, small statistics. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { bundleOptions } from '../infra/bundle-options.ts';
import type { JanitorFunctionName } from '../infra/janitor-function.ts';

export const ROOT = resolve(import.meta.dirname, '..');
/** Scratch space of one benchmark run (bundles, floors), removed at the end. */
export const WORK = join(ROOT, '.bench');
export const quick = process.argv.includes('--quick');
/** Latency the Zuora emulator adds to every request, as a real tenant across the internet. */
export const LATENCY_MS = 50;

/** Prints one figure as one JSON line. */
export const emit = (figure: Record<string, unknown>) => console.log(JSON.stringify(figure));
export const round = (value: number, digits = 2) => Number(value.toFixed(digits));
export const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

/**
 * The V8 flags the Lambda Node.js bootstrap derives from a function's memory: new space =
 * memory / 10 split in two semi-spaces, old space = the rest. Without them V8 sizes its young
 * generation from this machine's 24 GB and the figure would say little about Lambda.
 */
export const lambdaV8Flags = (memoryMb: number) => [
  `--max-semi-space-size=${Math.floor(memoryMb / 10 / 2)}`,
  `--max-old-space-size=${memoryMb - Math.floor(memoryMb / 10)}`,
];

/** Builds a function's bundle exactly as the construct does (`bundleOptions`); returns its path. */
export async function buildFunctionBundle(name: JanitorFunctionName): Promise<string> {
  const outfile = join(WORK, `function-${name}`, 'index.mjs');
  await esbuild.build({
    ...bundleOptions(name),
    outfile,
    absWorkingDir: ROOT,
    logLevel: 'silent',
  });
  return outfile;
}

/**
 * CPU time (user + system, ms) of this process's children that have ended and been waited for
 * (`cutime` + `cstime` of /proc/self/stat, in 10 ms clock ticks): the difference across one
 * child's run is that child's CPU time.
 */
export function endedChildrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 of proc(5); the first field after the command name is field 3.
  return (Number(fields[16 - 3]) + Number(fields[17 - 3])) * 10;
}
