/**
 * Stack traces of a failed invocation, or a failed start-up, in source positions
 * (`lib/events.ts:238:11`), paid for only when something fails. Node's `--enable-source-maps`
 * reads, parses and indexes the bundle's source map (over half a megabyte) at every cold start,
 * about a fifth of the bundle's import time (`npm run bench`); the functions run without it, and
 * this module maps the failing error's stack through the same file instead, read on the first
 * failure and kept for the life of the execution environment. Function names stay minified:
 * the file and line say which function it was. Outside a bundle (tests, the CLI) there is no map
 * beside the module, and stacks stay as they are.
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { MiddlewareObj } from '@middy/core';

/** How a frame starts in V8's stack text. */
const FRAME_PREFIX = '    at ';
/** Frames read at most: V8 records 10 unless `Error.stackTraceLimit` says otherwise. */
const MAX_FRAMES = 50;
/** `line:column` right after a file name. */
const LINE_COLUMN = /:(\d{1,9}):(\d{1,9})/y;
/** Reading and indexing the map takes tens of milliseconds; never spend the invocation's last. */
const MIN_REMAINING_MS = 1_000;

/**
 * `stack` with every position in the bundle (named by `bundleUrl` or by its path) replaced by the
 * source position the map gives for it, with esbuild's relative path (`../../lib/events.ts`) read
 * from the first named folder (`lib/events.ts`). Only the frames are read: the run of lines at the
 * end that start as V8 starts a frame, at most {@link MAX_FRAMES}; the message before them is
 * kept as it is, however it looks. Linear in the stack's length, whatever it holds.
 */
export function mapStack(
  stack: string,
  bundleUrl: string,
  map: Pick<SourceMap, 'findOrigin'>,
): string {
  const files = [bundleUrl, fileURLToPath(bundleUrl)];
  const lines = stack.split('\n');
  const firstFrame = Math.max(0, lines.length - MAX_FRAMES);
  for (let i = lines.length - 1; i >= firstFrame; i--) {
    const line = lines[i] as string;
    if (!line.startsWith(FRAME_PREFIX)) break;
    lines[i] = mapFrame(line, files, map);
  }
  return lines.join('\n');
}

function mapFrame(frame: string, files: readonly string[], map: Pick<SourceMap, 'findOrigin'>) {
  for (const file of files) {
    const at = frame.indexOf(file, FRAME_PREFIX.length);
    if (at === -1) continue;
    LINE_COLUMN.lastIndex = at + file.length;
    const position = LINE_COLUMN.exec(frame);
    if (!position) continue;
    const origin = map.findOrigin(Number(position[1]), Number(position[2]));
    if (!('fileName' in origin)) return frame;
    const source = origin.fileName.replace(/^(?:\.{1,2}\/)+/, '');
    const end = LINE_COLUMN.lastIndex;
    return `${frame.slice(0, at)}${source}:${origin.lineNumber}:${origin.columnNumber}${frame.slice(end)}`;
  }
  return frame;
}

/** The module's own URL: in a function, the bundle's (`file:///var/task/index.mjs`). */
const MODULE_URL = import.meta.url;
/** The bundle's source map once read; null when there is none to read. */
let sourceMap: SourceMap | null | undefined;

function bundleSourceMap(): SourceMap | null {
  if (sourceMap === undefined) {
    try {
      const payload = JSON.parse(readFileSync(`${fileURLToPath(MODULE_URL)}.map`, 'utf8'));
      sourceMap = new SourceMap(payload);
    } catch {
      sourceMap = null;
    }
  }
  return sourceMap;
}

/**
 * Maps the stack of `error` in place, when it is an Error with a stack and the bundle has its
 * map. Never throws, never replaces the error or anything but its stack text.
 */
export function mapErrorStack(error: unknown): void {
  try {
    if (!(error instanceof Error) || typeof error.stack !== 'string') return;
    const map = bundleSourceMap();
    if (map) error.stack = mapStack(error.stack, MODULE_URL, map);
  } catch {
    // An error whose stack cannot be read or written keeps the one it has.
  }
}

/**
 * Middy middleware: before the error of a failed invocation reaches the runtime (which reports
 * its stack), maps the stack to source positions, unless the invocation is about to run out of
 * time. Use it first, so that its `onError` runs last, after the other middlewares' (the metrics
 * flush among them).
 */
export function sourceMappedErrors(): MiddlewareObj {
  return {
    onError: (request) => {
      const remainingMs = request.context?.getRemainingTimeInMillis?.();
      if (remainingMs !== undefined && remainingMs < MIN_REMAINING_MS) return;
      mapErrorStack(request.error);
    },
  };
}
