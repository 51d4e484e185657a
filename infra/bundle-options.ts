/**
 * How each function is bundled from source, shared by the construct (in this repository), the
 * package build and the benchmark. A module of its own so that esbuild's types stay out of the
 * construct's public declarations: a consumer needs no esbuild, not even its types.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';
import type { JanitorFunctionName } from './janitor-function.ts';

/** Where this repository keeps the handlers' sources. */
const SOURCES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'functions');

/**
 * How each function is bundled from source: one ESM file, minified, with source maps, the AWS
 * SDK included (pinned by the lock file, tree-shaken). Shared with the benchmark.
 */
export function bundleOptions(name: JanitorFunctionName): BuildOptions {
  return {
    entryPoints: [path.join(SOURCES, `${name}.ts`)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    // Prefer ESM entry points, so the bundle never hits a CommonJS dynamic require at run time.
    mainFields: ['module', 'main'],
    // Lambda always has its credentials in the environment: the SDK's full credential chain
    // (SSO, profiles, STS, instance metadata) is replaced by the environment provider.
    alias: { '@aws-sdk/credential-provider-node': path.join(SOURCES, 'lambda-credentials.ts') },
    logLevel: 'warning',
  };
}
