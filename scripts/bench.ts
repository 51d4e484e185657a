/**
 * `npm run bench`: speed, size and cost of the janitor, one JSON line per figure. Every
 * comparison is measured side by side in the same run (this machine is shared and noisy):
 *
 * - sweep: wall time of a live sweep over N stale jobs with 50 ms emulator latency, against
 *   the lower bound (token + lists + 2·⌈N/c⌉)·L and against concurrency 1;
 * - bundle: each function bundle as CDK synthesizes it (size, gzip size, median import time in
 *   the environment the template gives it, its fleet file beside it) against an empty handler
 *   and handlers that only construct the AWS SDK clients the functions carry (the goal's floor:
 *   the Secrets Manager and EventBridge clients together);
 * - memory: peak RSS of a process running the sweep bundle over 1000 listed jobs;
 * - requests: requests per cancel, and token requests across three warm invocations;
 * - fleet (`bench-fleet.ts`): 50 tenants × 15 stale jobs swept by the CLI in one process,
 *   against each tenant swept alone; requests of an idle tenant's run; one tenant's peak memory;
 * - cost (`bench-cost.ts`, prices in `prices.ts`, model in `cost-model.ts`): what idle and busy
 *   runs of the sweep bundle use, priced per tenant-month and per fleet, and what 15-, 5- and
 *   1-minute cadences buy in the day simulation, with a recommendation computed from them.
 *
 * `--quick` skips the slowest run (N = 1000 at concurrency 1) and samples less;
 * `--only=sweep|bundle|memory|fleet|cost` runs one group (`cadence` is the cost group).
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { bundleOptions } from '../infra/bundle-options.ts';
import { loadConfig } from '../lib/config.ts';
import { createJanitor } from '../lib/janitor/index.ts';
import { silentLog } from '../lib/log.ts';
import { TokenCache } from '../lib/zuora/auth.ts';
import { StaticCredentials } from '../lib/zuora/credentials.ts';
import { startWorld } from '../test/emulator/world.ts';
import { defaultClient, ZuoraEmulator } from '../test/emulator/zuora.ts';
import {
  invokeBundle,
  PEAK_RSS_KB_SCRIPT,
  type SynthesizedFunction,
  synthesizeFunctions,
} from '../test/support/bundles.ts';
import { costFigures } from './bench-cost.ts';
import { fleetFigures } from './bench-fleet.ts';
import { deploymentInventory } from './bench-inventory.ts';
import {
  buildFunctionBundle,
  emit,
  LATENCY_MS,
  lambdaV8Flags,
  median,
  quick,
  ROOT,
  round,
  WORK,
} from './bench-support.ts';

const loadAtStart = loadavg();

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

/** What every measured process has: what Lambda sets for any function. */
const LAMBDA_BASE_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDBENCH',
  AWS_SECRET_ACCESS_KEY: 'bench-only',
} as const;

/** A bundle to import, and the environment it is imported in. */
interface Importable {
  readonly bundle: string;
  readonly environment?: Record<string, string>;
}

async function importMs({ bundle, environment }: Importable): Promise<number> {
  const script = `const t = performance.now(); await import(${JSON.stringify(bundle)}); process.stdout.write(String(performance.now() - t));`;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '-e', script],
    { env: { PATH: process.env.PATH ?? '', ...LAMBDA_BASE_ENV, ...environment } },
  );
  return Number(stdout);
}

/** The goals for each function bundle: size, and import time against the AWS clients' floor. */
const BUNDLE_GOALS = { kb: 400, gzipKb: 125, importRatio: 1.2 } as const;

/**
 * Size and import time of each function bundle, imported as Lambda would import it: in the
 * environment the template gives it (the fleet file from its asset folder, the lease table, the
 * bus), against floors imported the same way.
 */
async function bundleFigures(functions: Record<string, SynthesizedFunction>): Promise<void> {
  const runs = quick ? 7 : 15;
  const clients = {
    sm: "import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';\n",
    eb: "import { EventBridgeClient } from '@aws-sdk/client-eventbridge';\n",
    ddb: "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\n",
  };
  /** The three clients with Powertools and middy; `prelude` runs first, `value` is returned too. */
  const withPowertools = (prelude = '', value = 'null') =>
    `${clients.sm}${clients.eb}${clients.ddb}import { Logger } from '@aws-lambda-powertools/logger';\nimport { Metrics } from '@aws-lambda-powertools/metrics';\nimport { logMetrics } from '@aws-lambda-powertools/metrics/middleware';\nimport middy from '@middy/core';\n${prelude}const sm = new SecretsManagerClient({});\nconst eb = new EventBridgeClient({});\nconst ddb = new DynamoDBClient({});\nconst metrics = new Metrics();\nnew Logger();\nexport const handler = middy(async () => [${value}, sm.config.region, eb.config.region, ddb.config.region]).use(logMetrics(metrics));\n`;
  const floors = {
    'floor-empty': await floor('floor-empty', 'export const handler = async () => ({});\n'),
    'floor-secrets-manager-client': await floor(
      'floor-secrets-manager-client',
      `${clients.sm}const client = new SecretsManagerClient({});\nexport const handler = async () => client.config.region;\n`,
    ),
    // The goal's floor: the two clients every run uses (the secret, the result events).
    'floor-secrets-manager-eventbridge-clients': await floor(
      'floor-secrets-manager-eventbridge-clients',
      `${clients.sm}${clients.eb}const sm = new SecretsManagerClient({});\nconst eb = new EventBridgeClient({});\nexport const handler = async () => [sm.config.region, eb.config.region];\n`,
    ),
    // Every AWS client the functions ship (the lease adds DynamoDB).
    'floor-aws-clients': await floor(
      'floor-aws-clients',
      `${clients.sm}${clients.eb}${clients.ddb}const sm = new SecretsManagerClient({});\nconst eb = new EventBridgeClient({});\nconst ddb = new DynamoDBClient({});\nexport const handler = async () => [sm.config.region, eb.config.region, ddb.config.region];\n`,
    ),
    // What the design asks every function to carry anyway: shows how much of the gap it is.
    'floor-with-powertools': await floor('floor-with-powertools', withPowertools()),
    // Everything the design asks of a function's start-up: those, and the configuration file
    // validated by the project's own schema (so a cheaper schema lowers this floor too). What a
    // function adds beyond it is the rest of the janitor's code.
    'floor-design': await floor(
      'floor-design',
      withPowertools(
        `import { readFileSync } from 'node:fs';\nimport { join } from 'node:path';\nimport { loadFleetDocument } from ${JSON.stringify(join(ROOT, 'lib', 'config.ts'))};\nconst { env } = process;\nconst fleet = loadFleetDocument(readFileSync(join(env.LAMBDA_TASK_ROOT, env.QUERY_JANITOR_FLEET), 'utf8'), env);\n`,
        'fleet.tenants.size',
      ),
    ),
  };
  // The floors get the sweep function's environment too: the design's floor reads the same
  // configuration file the same way, and Powertools sees the same variables.
  const importables: Record<string, Importable> = Object.fromEntries([
    ...Object.entries(functions),
    ...Object.entries(floors).map(([name, bundle]) => [
      name,
      { bundle, environment: functions.sweep?.environment },
    ]),
  ]);
  // What the functions shipped with until 0.2: Node's source maps, read at every cold start.
  if (functions.sweep) {
    importables['sweep-with-enable-source-maps'] = {
      bundle: functions.sweep.bundle,
      environment: { ...functions.sweep.environment, NODE_OPTIONS: '--enable-source-maps' },
    };
  }
  // Interleave the measurements so machine noise hits every bundle alike.
  const samples: Record<string, number[]> = Object.fromEntries(
    Object.keys(importables).map((name) => [name, []]),
  );
  // Each round starts one bundle further on, so no bundle always goes first.
  const order = Object.entries(importables);
  for (let i = 0; i < runs; i++) {
    for (let j = 0; j < order.length; j++) {
      const [name, importable] = order[(i + j) % order.length] as [string, Importable];
      samples[name]?.push(await importMs(importable));
    }
  }
  const floorOf = (name: keyof typeof floors) => median(samples[name] as number[]);
  const smFloor = floorOf('floor-secrets-manager-client');
  const clientsFloor = floorOf('floor-secrets-manager-eventbridge-clients');
  const awsFloor = floorOf('floor-aws-clients');
  const emptyFloor = floorOf('floor-empty');
  const powertoolsFloor = floorOf('floor-with-powertools');
  const designFloor = floorOf('floor-design');
  for (const [name, { bundle }] of Object.entries(importables)) {
    const bytes = readFileSync(bundle);
    const gzipBytes = gzipSync(bytes, { level: 9 }).length;
    const importMedianMs = median(samples[name] as number[]);
    const isFunction = name in functions;
    const ratioToClientsFloor = importMedianMs / clientsFloor;
    emit({
      figure: 'bundle',
      name,
      bytes: bytes.length,
      kb: round(bytes.length / 1024, 1),
      gzipBytes,
      gzipKb: round(gzipBytes / 1024, 1),
      importMedianMs: round(importMedianMs, 1),
      importMinMs: round(Math.min(...(samples[name] as number[])), 1),
      importMaxMs: round(Math.max(...(samples[name] as number[])), 1),
      runs,
      ratioToSecretsManagerEventBridgeFloor: round(ratioToClientsFloor, 3),
      ratioToSecretsManagerFloor: round(importMedianMs / smFloor, 3),
      ratioToAwsClientsFloor: round(importMedianMs / awsFloor, 3),
      ratioToPowertoolsFloor: round(importMedianMs / powertoolsFloor, 3),
      ratioToDesignFloor: round(importMedianMs / designFloor, 3),
      ratioToEmptyFloor: round(importMedianMs / emptyFloor, 3),
      ...(isFunction
        ? {
            goals: BUNDLE_GOALS,
            meetsSizeGoal:
              bytes.length / 1024 <= BUNDLE_GOALS.kb && gzipBytes / 1024 <= BUNDLE_GOALS.gzipKb,
            meetsImportGoal: ratioToClientsFloor <= BUNDLE_GOALS.importRatio,
          }
        : {}),
    });
  }
}

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
const runs = (group: string) => !only || only === group || (group === 'cost' && only === 'cadence');
if (runs('sweep')) await sweepThroughput();
if (runs('bundle') || runs('memory')) {
  const functions = synthesizeFunctions(join(WORK, 'cdk.out'));
  if (runs('bundle')) await bundleFigures(functions);
  if (runs('memory')) await memoryAndWarmTokens(functions.sweep.bundle);
}
if (runs('fleet') || runs('cost')) {
  // Built with the construct's own esbuild options; priced with what the template deploys.
  const sweepBundle = await buildFunctionBundle('sweep');
  const inventory = deploymentInventory(50);
  if (runs('fleet')) await fleetFigures(sweepBundle, inventory.memoryMb.sweep);
  if (runs('cost')) await costFigures(sweepBundle, inventory);
}
emit({
  figure: 'machine',
  node: process.version,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  loadAverageAtStart: loadAtStart.map((load) => round(load)),
  loadAverageAtEnd: loadavg().map((load) => round(load)),
  date: new Date().toISOString(),
});
rmSync(WORK, { recursive: true, force: true });
