#!/usr/bin/env node
// The `query-janitor` command. Installed from the package, it runs the built CLI; in a checkout
// of the repository, the TypeScript sources (Node.js 24 runs them), so `npx query-janitor` there
// runs what you are editing, never a stale build.
import { existsSync } from 'node:fs';

const source = new URL('./query-janitor.ts', import.meta.url);
await import(
  existsSync(source) ? source.href : new URL('../dist/bin/query-janitor.js', import.meta.url).href
);
