/**
 * `npm run build` (and `npm pack`, through `prepack`): what the package ships, into `dist/`.
 *
 * - `tsc -p tsconfig.build.json` emits JavaScript and declarations, file for file, from the
 *   three entry points (the CLI, the library API, the construct) and what they import, with
 *   relative `.ts` imports rewritten to `.js`. tsc rather than esbuild: one pass gives both the
 *   code and the types, dependencies stay imports (the consumer's `aws-cdk-lib` must be the one
 *   the construct uses), and stack traces name real files.
 * - esbuild builds each Lambda function into one file, `dist/lambda/<name>/index.mjs`, exactly as
 *   the construct does from source in this repository: the construct in the package ships these
 *   prebuilt bundles as its code assets, so a consumer's app needs neither esbuild nor Docker,
 *   and deploys the bundles this repository tested.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { bundleOptions } from '../infra/bundle-options.ts';
import type { JanitorFunctionName } from '../infra/janitor-function.ts';

const ROOT = resolve(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');

rmSync(DIST, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
  {
    cwd: ROOT,
    stdio: 'inherit',
  },
);
chmodSync(join(DIST, 'bin/query-janitor.js'), 0o755);
for (const name of ['sweep', 'cancel'] satisfies JanitorFunctionName[]) {
  await esbuild.build({ ...bundleOptions(name), outfile: join(DIST, 'lambda', name, 'index.mjs') });
}
// Standard error: `npm pack --json` writes its answer to standard output, lifecycle scripts included.
console.error(`built ${DIST}`);
