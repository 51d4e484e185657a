import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, vi } from 'vitest';
import { startWorld, type World } from '../emulator/world.ts';
import { credentialsSecret, type ZuoraEmulator } from '../emulator/zuora.ts';

export { startWorld, type World };

/** A Lambda-like context whose remaining time ends at `deadline`. */
export function lambdaContext(remainingMs = 60_000): Context {
  const end = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'query-janitor-sweep',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:query-janitor-sweep',
    memoryLimitInMB: '256',
    awsRequestId: crypto.randomUUID(),
    logGroupName: '/aws/lambda/query-janitor-sweep',
    logStreamName: '2026/11/28/[$LATEST]abc',
    getRemainingTimeInMillis: () => end - Date.now(),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** The canonical secret for the emulator's default client. */
export function secretFor(zuora: ZuoraEmulator, fields: Record<string, unknown> = {}): string {
  return credentialsSecret(zuora.url, fields);
}

/**
 * A fresh world for each test of the calling file: started before each test, closed (and the
 * environment restored) after it. The returned object is refilled in place.
 */
export function useWorld(): World {
  const world = {} as World;
  beforeEach(async () => {
    Object.assign(world, await startWorld());
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await world.close();
  });
  return world;
}

/** Everything an error exposes to a caller: message, own fields, stack, and its causes. */
export function exposedText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  while (current instanceof Error) {
    parts.push(
      String(current),
      current.stack ?? '',
      JSON.stringify(current, Object.getOwnPropertyNames(current)),
    );
    current = current.cause;
  }
  return parts.join('\n');
}

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/**
 * Imports a function module fresh with `env` applied (configuration is read at import, as on a
 * cold start). Keys in `env` set to undefined are removed.
 */
export async function loadFunction(
  name: 'sweep' | 'cancel',
  env: Record<string, string | undefined>,
): Promise<Handler> {
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) vi.stubEnv(key, undefined as unknown as string);
    else vi.stubEnv(key, value);
  }
  vi.resetModules();
  const module = (await import(`../../functions/${name}.ts`)) as { handler: Handler };
  return module.handler;
}

/** Captures everything written to stdout and stderr while `fn` runs. */
export async function captureOutput<T>(
  fn: () => Promise<T>,
): Promise<{ result?: T; error?: unknown; output: string }> {
  const chunks: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    }),
  );
  try {
    const result = await fn();
    return { result, output: chunks.join('') };
  } catch (error) {
    return { error, output: chunks.join('') };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

/** JSON records among captured lines (Powertools logs and EMF blobs). */
export function jsonLines(output: string): Array<Record<string, unknown>> {
  return output
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
