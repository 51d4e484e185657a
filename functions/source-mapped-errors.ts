/**
 * Stack traces of a failed invocation in source terms (`lib/events.ts:120:11`), paid for only
 * when an invocation fails. Node's `--enable-source-maps` reads, parses and indexes the bundle's
 * source map (over half a megabyte) at every cold start, a quarter of the bundle's import time
 * (`npm run bench`); the functions run without it, and this middleware maps the failing error's
 * stack through the same file instead, read on the first failure and kept for the life of the
 * execution environment. Outside a bundle (tests, the CLI) there is no map beside the module:
 * stacks stay as they are.
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { MiddlewareObj } from '@middy/core';

/** A stack frame's line: `    at c (file:///var/task/index.mjs:3:1234)`. */
const FRAME_LINE = /^\s+at\s.*$/gm;
/** A position in a frame: `file:///var/task/index.mjs:3:1234`, or the file's path. */
const POSITION = /((?:file:\/\/)?\/[^\s()]+?):(\d+):(\d+)/g;

/**
 * `stack` with every position in the bundle at `bundleUrl` replaced by the source position the
 * map gives for it (`lib/events.ts:120:11`, paths relative to the project). Only frames are
 * read, never the message; positions elsewhere, or that the map does not know, stay as they are.
 */
export function mapStack(
  stack: string,
  bundleUrl: string,
  map: Pick<SourceMap, 'findOrigin'>,
): string {
  const bundlePath = fileURLToPath(bundleUrl);
  const mapPosition = (position: string, file: string, line: string, column: string) => {
    if (file !== bundleUrl && file !== bundlePath) return position;
    const origin = map.findOrigin(Number(line), Number(column));
    if (!('fileName' in origin)) return position;
    // esbuild names sources relative to the bundle's folder: `../../../lib/events.ts`.
    const source = origin.fileName.replace(/^(?:\.{1,2}\/)+/, '');
    return `${source}:${origin.lineNumber}:${origin.columnNumber}`;
  };
  return stack.replace(FRAME_LINE, (frame) => frame.replace(POSITION, mapPosition));
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
 * Middy middleware: before the error of a failed invocation reaches the runtime (which reports
 * its stack), maps the stack to source positions. Never replaces or hides the error itself.
 */
export function sourceMappedErrors(): MiddlewareObj {
  return {
    onError: (request) => {
      const { error } = request;
      if (!(error instanceof Error) || typeof error.stack !== 'string') return;
      const map = bundleSourceMap();
      if (!map) return;
      try {
        error.stack = mapStack(error.stack, MODULE_URL, map);
      } catch {
        // The stack as the bundle has it is still a stack.
      }
    },
  };
}
