/**
 * `npm run bench`: speed, size and cost of the janitor, one JSON line per figure. Every
 * comparison is measured side by side in the same run (this machine is shared and noisy):
 *
 * - sweep: wall time of a live sweep over N stale jobs with 50 ms emulator latency, against
 *   the lower bound (token + lists + 2·⌈N/c⌉)·L and against concurrency 1;
 * - bundle: each function bundle as CDK synthesizes it (size, gzip size, median import time)
 *   against an empty handler and a handler that only constructs the Secrets Manager client;
 * - memory: peak RSS of a process running the sweep bundle over 1000 listed jobs;
 * - requests: requests per cancel, and token requests across three warm invocations.
 *
 * `--quick` skips the slowest run (N = 1000 at concurrency 1); `--only=sweep|bundle|memory`
 * runs one group.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { bundleOptions } from '../infra/janitor-function.ts';
import { loadConfig } from '../lib/config.ts';
import { createJanitor } from '../lib/janitor/index.ts';
import { silentLog } from '../lib/log.ts';
import { TokenCache } from '../lib/zuora/auth.ts';
import { StaticCredentials } from '../lib/zuora/credentials.ts';
import { startWorld } from '../test/emulator/world.ts';
import { defaultClient, ZuoraEmulator } from '../test/emulator/zuora.ts';
import { invokeBundle, PEAK_RSS_KB_SCRIPT, synthesizeBundles } from '../test/support/bundles.ts';

const ROOT = resolve(import.meta.dirname, '..');
const WORK = join(ROOT, '.bench');
const quick = process.argv.includes('--quick');
const LATENCY_MS = 50;

const emit = (figure: Record<string, unknown>) => console.log(JSON.stringify(figure));
const round = (value: number, digits = 2) => Number(value.toFixed(digits));
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });

/** A Zuora emulator on its own thread (see emulator-worker.ts). */
class EmulatorThread {
  readonly url: string;
  readonly #worker: Worker;

  private constructor(worker: Worker, url: string) {
    this.#worker = worker;
    this.url = url;
  }

  static async start(latencyMs: number): Promise<EmulatorThread> {
    const worker = new Worker(join(ROOT, 'scripts', 'emulator-worker.ts'), {
      workerData: { latencyMs },
    });
    const { url } = (await once(worker, 'message'))[0] as { url: string };
    return new EmulatorThread(worker, url);
  }

  async ask(message: Record<string, unknown>): Promise<unknown> {
    this.#worker.postMessage(message);
    return (await once(this.#worker, 'message'))[0];
  }

  async close(): Promise<void> {
    this.#worker.postMessage({ close: true });
    await once(this.#worker, 'exit');
  }
}

async function sweepThroughput(): Promise<void> {
  for (const n of [10, 100, 1000]) {
    let sequentialMs: number | undefined;
    for (const concurrency of [1, 4, 8]) {
      if (quick && n === 1000 && concurrency === 1) continue;
      const zuora = await EmulatorThread.start(LATENCY_MS);
      await zuora.ask({ seed: n });
      const janitor = createJanitor({
        config: loadConfig({
          JANITOR_DRY_RUN: 'false',
          JANITOR_MAX_CANCELS_PER_RUN: String(n),
          JANITOR_CONCURRENCY: String(concurrency),
        }),
        credentials: new StaticCredentials({
          clientId: defaultClient.clientId,
          clientSecret: defaultClient.clientSecret,
          baseUrl: zuora.url,
        }),
        tokens: new TokenCache(),
        log: silentLog,
      });
      const started = performance.now();
      const report = await janitor.sweep({ trigger: 'cli', deadline: Date.now() + 15 * 60_000 });
      const wallMs = performance.now() - started;
      const stats = (await zuora.ask({ stats: true })) as {
        requests: number;
        token: number;
        list: number;
      };
      await zuora.close();
      const lists = stats.list;
      const tokens = stats.token;
      const lowerBoundMs = (tokens + lists + 2 * Math.ceil(n / concurrency)) * LATENCY_MS;
      if (concurrency === 1) sequentialMs = wallMs;
      emit({
        figure: 'sweep',
        n,
        concurrency,
        latencyMs: LATENCY_MS,
        wallMs: Math.round(wallMs),
        requests: stats.requests,
        listRequests: lists,
        cancelled: report.counts.cancelled,
        requestsPerCancel: round(stats.requests / Math.max(1, report.counts.cancelled)),
        lowerBoundMs,
        ratioToLowerBound: round(wallMs / lowerBoundMs, 3),
        ratioToSequential: sequentialMs === undefined ? null : round(wallMs / sequentialMs, 3),
      });
    }
  }
}

/** The esbuild options the construct uses, for the floors (same main fields and aliases). */
const { entryPoints: _functionEntry, ...functionOptions } = bundleOptions('sweep');
const BUNDLE_OPTIONS: esbuild.BuildOptions = {
  ...functionOptions,
  sourcemap: false,
  absWorkingDir: ROOT,
  logLevel: 'silent',
};

async function floor(name: string, source: string): Promise<string> {
  const entry = join(WORK, `${name}.ts`);
  const outfile = join(WORK, name, 'index.mjs');
  writeFileSync(entry, source);
  await esbuild.build({ ...BUNDLE_OPTIONS, entryPoints: [entry], outfile });
  return outfile;
}

async function importMs(bundle: string, runs: number): Promise<number> {
  const script = `const t = performance.now(); await import(${JSON.stringify(bundle)}); process.stdout.write(String(performance.now() - t));`;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', script],
      {
        env: {
          PATH: process.env.PATH ?? '',
          AWS_REGION: 'us-east-1',
          ZUORA_SECRET_ID: 'query-janitor/zuora',
          POWERTOOLS_METRICS_NAMESPACE: 'QueryJanitor',
        },
      },
    );
    times.push(Number(stdout));
  }
  return median(times);
}

async function bundleFigures(bundles: Record<string, string>): Promise<void> {
  const runs = quick ? 7 : 15;
  const floors = {
    'floor-empty': await floor('floor-empty', 'export const handler = async () => ({});\n'),
    'floor-secrets-manager-client': await floor(
      'floor-secrets-manager-client',
      "import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';\nconst client = new SecretsManagerClient({});\nexport const handler = async () => client.config.region;\n",
    ),
    // What the design asks every function to carry anyway: shows how much of the gap it is.
    'floor-with-powertools': await floor(
      'floor-with-powertools',
      "import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';\nimport { Logger } from '@aws-lambda-powertools/logger';\nimport { Metrics } from '@aws-lambda-powertools/metrics';\nimport { logMetrics } from '@aws-lambda-powertools/metrics/middleware';\nimport middy from '@middy/core';\nconst client = new SecretsManagerClient({});\nconst metrics = new Metrics();\nnew Logger();\nexport const handler = middy(async () => client.config.region).use(logMetrics(metrics));\n",
    ),
  };
  // Interleave the measurements so machine noise hits every bundle alike.
  const all = { ...bundles, ...floors };
  const samples: Record<string, number[]> = Object.fromEntries(
    Object.keys(all).map((name) => [name, []]),
  );
  for (let i = 0; i < runs; i++) {
    for (const [name, path] of Object.entries(all)) samples[name]?.push(await importMs(path, 1));
  }
  const smFloor = median(samples['floor-secrets-manager-client'] as number[]);
  const emptyFloor = median(samples['floor-empty'] as number[]);
  const powertoolsFloor = median(samples['floor-with-powertools'] as number[]);
  for (const [name, path] of Object.entries(all)) {
    const bytes = readFileSync(path);
    const importMedianMs = median(samples[name] as number[]);
    emit({
      figure: 'bundle',
      name,
      bytes: bytes.length,
      kb: round(bytes.length / 1024, 1),
      gzipBytes: gzipSync(bytes, { level: 9 }).length,
      gzipKb: round(gzipSync(bytes, { level: 9 }).length / 1024, 1),
      importMedianMs: round(importMedianMs, 1),
      runs,
      ratioToSecretsManagerFloor: round(importMedianMs / smFloor, 3),
      ratioToPowertoolsFloor: round(importMedianMs / powertoolsFloor, 3),
      ratioToEmptyFloor: round(importMedianMs / emptyFloor, 3),
    });
  }
}

/**
 * The V8 flags the Lambda Node.js bootstrap derives from a function's memory: new space =
 * memory / 10 split in two semi-spaces, old space = the rest. Without them V8 sizes its young
 * generation from this machine's 24 GB and the figure would say little about Lambda.
 */
const lambdaV8Flags = (memoryMb: number) => [
  `--max-semi-space-size=${Math.floor(memoryMb / 10 / 2)}`,
  `--max-old-space-size=${memoryMb - Math.floor(memoryMb / 10)}`,
];

/** Peak RSS moves by ±10% between runs here: each figure is the median of three, interleaved. */
const MEMORY_REPEATS = 3;

async function memoryAndWarmTokens(sweepBundle: string): Promise<void> {
  // 256 MB is what the construct configures; 128 MB is the smallest Lambda size.
  const runs: Array<[string, () => Promise<number>]> = [
    [
      'sweep bundle over 1000 stale jobs, Lambda 256 MB flags',
      () => memoryRun(sweepBundle, lambdaV8Flags(256), true),
    ],
    [
      'sweep bundle over 1000 stale jobs, Lambda 128 MB flags',
      () => memoryRun(sweepBundle, lambdaV8Flags(128)),
    ],
    [
      'sweep bundle over 1000 stale jobs, no flags (V8 sized from this machine)',
      () => memoryRun(sweepBundle, []),
    ],
    [
      'floor: 1000 bare fetch reads and cancels (no janitor), Lambda 256 MB flags',
      () => memoryFloor('fetch', lambdaV8Flags(256)),
    ],
    [
      'floor: 1000 bare node:http reads and cancels (no janitor), Lambda 256 MB flags',
      () => memoryFloor('node:http', lambdaV8Flags(256)),
    ],
  ];
  const samples = new Map<string, number[]>(runs.map(([name]) => [name, []]));
  for (let i = 0; i < MEMORY_REPEATS; i++) {
    for (const [name, run] of runs) samples.get(name)?.push(await run());
  }
  for (const [name, values] of samples) {
    emit({
      figure: 'memory',
      what: name,
      peakRssMedianMb: round(median(values) / 1024, 1),
      peakRssMinMb: round(Math.min(...values) / 1024, 1),
      peakRssMaxMb: round(Math.max(...values) / 1024, 1),
      runs: values.length,
    });
  }
}

/**
 * Floors for the memory figure: the same 2000 reads and cancels as bare HTTP calls at
 * concurrency 8 (no janitor, no validation, no logging), same V8 flags, the SDK client loaded:
 * once with `fetch` (what the janitor uses) and once with `node:http` and a keep-alive agent.
 */
async function memoryFloor(client: 'fetch' | 'node:http', flags: string[]): Promise<number> {
  const send = {
    fetch: `async (method, path, headers, body) => (await fetch(base + path, { method, headers, body })).text()`,
    'node:http': `(() => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
      const url = new URL(base);
      return (method, path, headers, body) => new Promise((resolve, reject) => {
        const request = http.request({ host: url.hostname, port: url.port, path, method, headers, agent }, (response) => {
          const stream = response.headers['content-encoding'] === 'gzip' ? response.pipe(zlib.createGunzip()) : response;
          const chunks = [];
          stream.on('data', (chunk) => chunks.push(chunk));
          stream.on('end', () => resolve(Buffer.concat(chunks).toString()));
          stream.on('error', reject);
        });
        request.on('error', reject);
        request.end(body);
      });
    })()`,
  };
  {
    const sender = send[client];
    const zuora = await ZuoraEmulator.start();
    for (let i = 0; i < 1000; i++) zuora.addJob({ ageMinutes: 300 + i });
    const script = `
      import http from 'node:http';
      import zlib from 'node:zlib';
      await import(${JSON.stringify(join(ROOT, 'node_modules/@aws-sdk/client-secrets-manager/dist-cjs/index.js'))});
      const base = process.env.BASE;
      const send = ${sender};
      const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: process.env.ID, client_secret: process.env.SECRET }).toString();
      const { access_token } = JSON.parse(await send('POST', '/oauth/token', { 'content-type': 'application/x-www-form-urlencoded' }, form));
      const headers = { authorization: 'Bearer ' + access_token, 'accept-encoding': 'gzip' };
      const ids = JSON.parse(process.env.IDS);
      let next = 0;
      const worker = async () => {
        while (next < ids.length) {
          const id = ids[next++];
          for (const method of ['GET', 'DELETE']) JSON.parse(await send(method, '/query/jobs/' + id, headers));
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      process.stdout.write('\\nRESULT ' + ${PEAK_RSS_KB_SCRIPT} + '\\n');`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [...flags, '--input-type=module', '-e', script],
      {
        env: {
          PATH: process.env.PATH ?? '',
          BASE: zuora.url,
          ID: defaultClient.clientId,
          SECRET: defaultClient.clientSecret,
          IDS: JSON.stringify(zuora.jobs().map((job) => job.id)),
        },
      },
    );
    await zuora.close();
    return Number(/^RESULT (\d+)$/m.exec(stdout)?.[1]);
  }
}

/** Peak RSS (KB) of the sweep bundle over 1000 jobs, then two warm invocations in the same process. */
async function memoryRun(
  sweepBundle: string,
  flags: string[],
  reportWarmTokens = false,
): Promise<number> {
  const world = await startWorld();
  const { zuora, secrets } = world;
  for (let i = 0; i < 1000; i++)
    zuora.addJob({ ageMinutes: 300 + i, query: `select Id, Name from Account where Id = '${i}'` });
  const { invocations, maxRssKb } = await invokeBundle(
    sweepBundle,
    Array.from({ length: 3 }, () => ({ trigger: 'schedule' })),
    {
      nodeFlags: flags,
      env: {
        ...world.env,
        JANITOR_MAX_CANCELS_PER_RUN: '1000',
        JANITOR_CONCURRENCY: '8',
        POWERTOOLS_LOG_LEVEL: 'WARN',
        POWERTOOLS_METRICS_NAMESPACE: 'QueryJanitorBench',
      },
    },
  );
  await world.close();
  if (invocations[0]?.report?.counts.cancelled !== 1000) {
    throw new Error('the memory run did not cancel 1000 jobs');
  }
  if (reportWarmTokens && !warmTokensReported) {
    warmTokensReported = true;
    emit({
      figure: 'warm-tokens',
      invocations: 3,
      tokenRequests: zuora.requestsTo('token').length,
      secretReads: secrets.requests.length,
    });
  }
  return maxRssKb;
}

let warmTokensReported = false;

const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
if (!only || only === 'sweep') await sweepThroughput();
if (!only || only !== 'sweep') {
  const bundles = synthesizeBundles(join(WORK, 'cdk.out'));
  if (!only || only === 'bundle') await bundleFigures(bundles);
  if (!only || only === 'memory') await memoryAndWarmTokens(bundles.sweep as string);
}
emit({
  figure: 'machine',
  node: process.version,
  cpus: (await import('node:os')).cpus().length,
  cpuModel: (await import('node:os')).cpus()[0]?.model,
  date: new Date().toISOString(),
});
rmSync(WORK, { recursive: true, force: true });
