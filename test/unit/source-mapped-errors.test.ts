/**
 * The functions map a failed invocation's stack through the bundle's source map when it fails,
 * instead of Node's `--enable-source-maps` at every cold start. Tested on a real esbuild bundle
 * (built with the functions' own options: minified, the map beside it) wrapped by middy, run in
 * a Node.js process of its own: in this one, vitest maps every stack itself.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapErrorStack, mapStack } from '../../functions/source-mapped-errors.ts';
import { bundleOptions } from '../../infra/bundle-options.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const FIXTURE = `import middy from '@middy/core';
import { sourceMappedErrors } from ${JSON.stringify(join(ROOT, 'functions', 'source-mapped-errors.ts'))};

export function failing(kind: string): never {
  if (kind === 'string') throw 'not an Error';
  if (kind === 'read-only') {
    const error = new Error('read-only');
    Object.defineProperty(error, 'stack', { value: 'Error: read-only\\n    at kept', writable: false });
    throw error;
  }
  throw new Error(\`boom: \${kind}\`);
}

export const handler = middy(async (event: { kind: string }) => failing(event.kind)).use(
  sourceMappedErrors(),
);
`;

/** The fixture's line that throws (1-based), as the mapped stack must name it. */
const THROWING_LINE = FIXTURE.split('\n').findIndex((line) => line.includes('boom:')) + 1;

let workDir: string;
let withMap: string;
let withoutMap: string;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'qj-source-map-'));
  writeFileSync(join(workDir, 'fixture.ts'), FIXTURE);
  withMap = join(workDir, 'with-map', 'index.mjs');
  // Bundled as the construct bundles the functions, from a folder outside the project.
  const { entryPoints: _functionEntry, ...functionOptions } = bundleOptions('sweep');
  await esbuild.build({
    ...functionOptions,
    entryPoints: [join(workDir, 'fixture.ts')],
    outfile: withMap,
    nodePaths: [join(ROOT, 'node_modules')],
    logLevel: 'silent',
  });
  // The same bundle shipped without its map.
  mkdirSync(join(workDir, 'without-map'));
  withoutMap = join(workDir, 'without-map', 'index.mjs');
  copyFileSync(withMap, withoutMap);
});

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** What an invocation threw: an Error's message and stack, or the value itself. */
type Failure = { message: string; stack: string } | { thrown: unknown };

/**
 * Invokes the bundle's handler once per kind, in order, warm, in a fresh Node.js process, with
 * `remainingMs` left in each invocation.
 */
async function failuresOf(
  bundle: string,
  kinds: readonly string[],
  remainingMs = 60_000,
): Promise<Failure[]> {
  const script = `
    const { handler } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
    const failures = [];
    for (const kind of ${JSON.stringify(kinds)}) {
      try {
        await handler({ kind }, { getRemainingTimeInMillis: () => ${remainingMs} });
        failures.push({ thrown: 'nothing: the handler returned' });
      } catch (error) {
        failures.push(error instanceof Error ? { message: error.message, stack: error.stack } : { thrown: error });
      }
    }
    process.stdout.write(JSON.stringify(failures));`;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '-e', script],
    { env: { PATH: process.env.PATH ?? '' } },
  );
  return JSON.parse(stdout) as Failure[];
}

describe('a failed invocation of a bundled function', () => {
  it('reports its stack in source positions, read from the map beside the bundle', async () => {
    const [failure] = (await failuresOf(withMap, ['first'])) as [
      { message: string; stack: string },
    ];

    expect(failure.message).toBe('boom: first');
    const frames = failure.stack.split('\n').slice(1);
    // The throwing function's frame, at the fixture's own line (its column depends on esbuild).
    expect(frames[0]).toMatch(new RegExp(`\\bfixture\\.ts:${THROWING_LINE}:\\d+\\)?$`));
    // No frame is left in the bundle's minified positions.
    expect(failure.stack).not.toContain('index.mjs:');
  });

  it('maps every failure of a warm environment, not only the first', async () => {
    const failures = (await failuresOf(withMap, ['first', 'second'])) as Array<{
      message: string;
      stack: string;
    }>;

    expect(failures.map((failure) => failure.message)).toEqual(['boom: first', 'boom: second']);
    for (const { stack } of failures) {
      expect(stack).toMatch(new RegExp(`\\bfixture\\.ts:${THROWING_LINE}:`));
    }
  });

  it('leaves the stack as it is when the bundle ships without its map', async () => {
    const [failure] = (await failuresOf(withoutMap, ['unmapped'])) as [
      { message: string; stack: string },
    ];

    expect(failure.message).toBe('boom: unmapped');
    expect(failure.stack).toContain(`${pathToFileURL(withoutMap).href}:1:`);
    expect(failure.stack).not.toContain('fixture.ts');
  });

  it('passes on what was thrown when it is not an Error, untouched', async () => {
    expect(await failuresOf(withMap, ['string'])).toEqual([{ thrown: 'not an Error' }]);
  });

  it('passes on an Error whose stack cannot be written, with the stack it has', async () => {
    expect(await failuresOf(withMap, ['read-only'])).toEqual([
      { message: 'read-only', stack: 'Error: read-only\n    at kept' },
    ]);
  });

  it('leaves the stack alone when the invocation has less than a second left', async () => {
    // Reading the map takes tens of milliseconds: the runtime must get the error in time.
    const [hurried] = (await failuresOf(withMap, ['hurried'], 999)) as [
      { message: string; stack: string },
    ];
    const [unhurried] = (await failuresOf(withMap, ['unhurried'], 1_000)) as [
      { message: string; stack: string },
    ];

    expect(hurried.stack).not.toContain('fixture.ts');
    expect(unhurried.stack).toContain('fixture.ts');
  });
});

describe('mapErrorStack', () => {
  it('never throws, even for an Error whose stack getter throws', () => {
    const error = new Error('original');
    Object.defineProperty(error, 'stack', {
      get() {
        throw new TypeError('stack unavailable');
      },
    });

    expect(() => mapErrorStack(error)).not.toThrow();
    expect(error.message).toBe('original');
  });
});

describe('mapStack', () => {
  const bundleUrl = 'file:///var/task/index.mjs';
  const map = {
    findOrigin: (line: number, column: number) =>
      line === 1 && column === 200
        ? { fileName: '../../../lib/events.ts', lineNumber: 120, columnNumber: 11, name: 'x' }
        : {},
  };

  it('rewrites positions in the bundle, with paths relative to the project', () => {
    const stack = `Error: refused\n    at c (${bundleUrl}:1:200)\n    at ${bundleUrl}:1:200`;

    expect(mapStack(stack, bundleUrl, map)).toBe(
      'Error: refused\n    at c (lib/events.ts:120:11)\n    at lib/events.ts:120:11',
    );
  });

  it('leaves positions the map does not know, and other files, as they are', () => {
    const stack = [
      'Error: refused',
      `    at c (${bundleUrl}:1:201)`,
      '    at process.processTicksAndRejections (node:internal/process/task_queues:103:5)',
      '    at run (file:///var/runtime/index.mjs:1:200)',
    ].join('\n');

    expect(mapStack(stack, bundleUrl, map)).toBe(stack);
  });

  it('reads a frame that names the bundle by its path, not its URL', () => {
    expect(mapStack('    at c (/var/task/index.mjs:1:200)', bundleUrl, map)).toBe(
      '    at c (lib/events.ts:120:11)',
    );
  });

  it('reads frames only (the lines at the end), never the message before them', () => {
    // A message of several lines, one of them shaped like a frame (zod quotes unknown keys).
    const message = `Error: failed at ${bundleUrl}:1:200\n    at c (${bundleUrl}:1:200)\nend of message`;

    expect(mapStack(`${message}\n    at c (${bundleUrl}:1:200)`, bundleUrl, map)).toBe(
      `${message}\n    at c (lib/events.ts:120:11)`,
    );
  });

  it('reads at most the last 50 frames, however many lines look like one', () => {
    const frame = `    at c (${bundleUrl}:1:200)`;
    const stack = ['Error: refused', ...Array.from({ length: 10_000 }, () => frame)].join('\n');

    const lines = mapStack(stack, bundleUrl, map).split('\n');

    expect(lines.slice(-50)).toEqual(Array(50).fill('    at c (lib/events.ts:120:11)'));
    expect(lines.slice(1, -50).every((line) => line === frame)).toBe(true);
  });

  it('leaves a frame of a megabyte of slashes, with no position in the bundle, as it is', () => {
    const stack = `Error: x\n    at ${'/'.repeat(1 << 20)}${bundleUrl}:1:x`;

    expect(mapStack(stack, bundleUrl, map)).toBe(stack);
  });
});
