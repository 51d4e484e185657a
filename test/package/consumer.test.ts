/**
 * The package as a user gets it: `npm pack` (which builds, through `prepack`), installed into a
 * fresh project with the lowest `aws-cdk-lib` and `constructs` it claims, and used from there on
 * the lowest Node.js it claims (22): the CLI, a CDK app importing the construct, and the
 * synthesized sweep bundle invoked once under the Lambda runtime interface client (Node.js 24,
 * as Lambda runs it). Installs with `--prefer-offline`: only the npm registry is needed, and only
 * when its cache is cold.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsManagerEmulator } from '../emulator/secrets-manager.ts';
import { credentialsSecret, defaultClient, ZuoraEmulator } from '../emulator/zuora.ts';
import { RicFunction } from '../support/ric.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  engines: { node: string };
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
/** The lowest versions the package claims, which the consumer installs. */
const LOWEST = {
  node: manifest.engines.node.replace(/^>=/, ''),
  'aws-cdk-lib': manifest.peerDependencies['aws-cdk-lib']?.replace(/^\^/, ''),
  constructs: manifest.peerDependencies.constructs?.replace(/^\^/, ''),
};
const NODE_BINARY_PACKAGE = `node-${process.platform}-${process.arch}`;

/** What may ship: nothing else does, and each of the entry points must. */
const ALLOWED = [
  /^(CHANGELOG\.md|LICENSE|README\.md|package\.json)$/,
  /^query-janitor\.(schema|config\.example)\.json$/,
  /^bin\/query-janitor\.mjs$/,
  /^dist\/(bin|lib|infra)\/[\w/-]+\.(js|d\.ts)$/,
  /^dist\/lambda\/(sweep|cancel)\/index\.mjs(\.map)?$/,
];
const REQUIRED = [
  'LICENSE',
  'bin/query-janitor.mjs',
  'dist/bin/query-janitor.js',
  'dist/lib/index.js',
  'dist/lib/index.d.ts',
  'dist/infra/index.js',
  'dist/infra/index.d.ts',
  'dist/lambda/sweep/index.mjs',
  'dist/lambda/cancel/index.mjs',
  'query-janitor.schema.json',
];

let work: string;
let consumer: string;
let packed: {
  filename: string;
  size: number;
  unpackedSize: number;
  files: Array<{ path: string }>;
};
let node22: string;
const timings: Record<string, number> = {};

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    timings[label] = Math.round(performance.now() - started);
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'qj-package-'));
  const { stdout } = await timed('pack', () =>
    run('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT }),
  );
  packed = (JSON.parse(stdout) as (typeof packed)[])[0] as typeof packed;
  consumer = join(work, 'consumer');
  await run('mkdir', [consumer]);
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  await timed('install', () =>
    run(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        join(work, packed.filename),
        `aws-cdk-lib@${LOWEST['aws-cdk-lib']}`,
        `constructs@${LOWEST.constructs}`,
        // A TypeScript consumer's own types for Node.js, as any such project has.
        `@types/node@${manifest.devDependencies['@types/node']}`,
        // The lowest Node.js the package claims, to run the CLI and the app with.
        `${NODE_BINARY_PACKAGE}@${LOWEST.node}`,
      ],
      { cwd: consumer },
    ),
  );
  node22 = join(consumer, 'node_modules', NODE_BINARY_PACKAGE, 'bin', 'node');
}, 300_000);

afterAll(() => {
  console.info(
    `package: ${packed?.filename} ${Math.round((packed?.size ?? 0) / 1024)} KB packed, ` +
      `${Math.round((packed?.unpackedSize ?? 0) / 1024)} KB unpacked; times (ms): ${JSON.stringify(timings)}`,
  );
});

describe('the packed file list', () => {
  it('holds exactly what a user needs', () => {
    const files = packed.files.map((file) => file.path);
    expect(files.filter((file) => !ALLOWED.some((pattern) => pattern.test(file)))).toEqual([]);
    expect(REQUIRED.filter((file) => !files.includes(file))).toEqual([]);
  });

  it('needs no development dependency at run time', () => {
    const runtime = new Set([
      ...Object.keys(manifest.dependencies),
      ...Object.keys(manifest.peerDependencies),
    ]);
    const bare = new Set<string>();
    const dist = join(consumer, 'node_modules', 'query-janitor', 'dist');
    for (const entry of readdirSync(dist, { recursive: true, encoding: 'utf8' })) {
      if (!entry.endsWith('.js')) continue;
      const code = readFileSync(join(dist, entry), 'utf8');
      // TypeScript's own scanner: `import … from`, bare `import 'x'`, `export … from`, `import('x')`
      // and `require('x')`.
      for (const { fileName } of ts.preProcessFile(code, true, true).importedFiles) {
        if (!fileName.startsWith('.')) bare.add(fileName);
      }
    }
    const packageOf = (specifier: string) =>
      specifier.startsWith('@')
        ? specifier.split('/').slice(0, 2).join('/')
        : specifier.split('/')[0];
    const unmet = [...bare]
      .filter((specifier) => !specifier.startsWith('node:') && !builtinModules.includes(specifier))
      .map((specifier) => packageOf(specifier) as string)
      .filter((name) => !runtime.has(name));
    expect(bare.size).toBeGreaterThan(5);
    expect([...new Set(unmet)]).toEqual([]);
  });
});

describe('the CLI from the installed package, on Node.js 22', () => {
  const cli = (args: string[], env: Record<string, string> = {}) =>
    run(node22, [join(consumer, 'node_modules', '.bin', 'query-janitor'), ...args], {
      cwd: consumer,
      env: { PATH: process.env.PATH ?? '', HOME: work, AWS_REGION: 'us-east-1', ...env },
    });

  it('runs on the Node.js it claims', async () => {
    expect((await run(node22, ['--version'])).stdout.trim()).toMatch(
      new RegExp(`^v${LOWEST.node}\\.`),
    );
  });

  it('says its version and how to use it', async () => {
    expect((await cli(['--version'])).stdout.trim()).toBe(manifest.version);
    expect((await cli(['--help'])).stdout).toMatch(/^Usage: query-janitor <command>/);
  });

  it('dry-runs a sweep against a tenant', async () => {
    const zuora = await ZuoraEmulator.start();
    try {
      const stale = zuora.addJob({ ageMinutes: 300 });
      const { stdout } = await cli(['sweep', '--json'], {
        ZUORA_CLIENT_ID: defaultClient.clientId,
        ZUORA_CLIENT_SECRET: defaultClient.clientSecret,
        ZUORA_BASE_URL: zuora.url,
      });
      const report = JSON.parse(stdout) as {
        dryRun: boolean;
        jobs: Array<{ id: string; outcome: string }>;
      };
      expect(report.dryRun).toBe(true);
      expect(report.jobs).toEqual([
        expect.objectContaining({ id: stale.id, outcome: 'would-cancel' }),
      ]);
      expect(zuora.requestsTo('cancel')).toEqual([]);
    } finally {
      await zuora.close();
    }
  });
});

describe('the types, from a TypeScript consumer', () => {
  it('check with skipLibCheck off: no development dependency leaks into the declarations', async () => {
    writeFileSync(
      join(consumer, 'index.ts'),
      [
        "import type { FleetConfig, Report } from 'query-janitor';",
        "import { loadFleet, RESULT_DETAIL_TYPES } from 'query-janitor';",
        "import { QueryJobJanitor, type QueryJobJanitorProps } from 'query-janitor/cdk';",
        "const config: FleetConfig = { tenants: [{ name: 'prod-us', pressure: { headroom: 2, staleAfter: '30m' } }] };",
        'export const props: QueryJobJanitorProps = { config };',
        'export const fleet = loadFleet(config);',
        'export const swept: string = RESULT_DETAIL_TYPES.swept;',
        "export type Outcomes = Report['jobs'][number]['outcome'];",
        'export { QueryJobJanitor };',
      ].join('\n'),
    );
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          lib: ['ES2024', 'ESNext.Disposable'],
          types: ['node'],
          strict: true,
          noEmit: true,
          skipLibCheck: false,
        },
        files: ['index.ts'],
      }),
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const checked = await timed('typecheck', () =>
      run(process.execPath, [tsc, '-p', consumer]).then(
        () => '',
        (error: { stdout?: string }) => error.stdout ?? String(error),
      ),
    );
    expect(checked).toBe('');
  }, 60_000);
});

describe('a CDK app that imports the construct from the package', () => {
  const config = {
    defaults: { dryRun: true },
    tenants: [
      { name: 'prod-us', secret: 'zuora/prod-us' },
      { name: 'prod-eu', secret: 'zuora/prod-eu', schedule: 'rate(30 minutes)' },
    ],
  };
  let template: {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  let sweepAsset: string;

  beforeAll(async () => {
    writeFileSync(
      join(consumer, 'app.mjs'),
      [
        "import { App, Stack } from 'aws-cdk-lib';",
        "import { QueryJobJanitor } from 'query-janitor/cdk';",
        "const app = new App({ outdir: 'cdk.out' });",
        "const stack = new Stack(app, 'Ops');",
        `new QueryJobJanitor(stack, 'QueryJanitor', { config: ${JSON.stringify(config)} });`,
        'app.synth();',
      ].join('\n'),
    );
    await timed('synth', () => run(node22, ['app.mjs'], { cwd: consumer }));
    template = JSON.parse(readFileSync(join(consumer, 'cdk.out', 'Ops.template.json'), 'utf8'));
    const [, sweep] =
      Object.entries(template.Resources).find(
        ([id, resource]) =>
          resource.Type === 'AWS::Lambda::Function' && id.includes('SweepFunction'),
      ) ?? [];
    const code = sweep?.Properties.Code as { S3Key: string } | undefined;
    const assetHash = code?.S3Key.replace(/\.zip$/, '');
    sweepAsset = join(consumer, 'cdk.out', `asset.${assetHash}`);
  }, 120_000);

  it('holds the two functions and a schedule per tenant', () => {
    const resources = Object.values(template.Resources);
    const functions = resources.filter((resource) => resource.Type === 'AWS::Lambda::Function');
    expect(functions.map((fn) => [fn.Properties.Runtime, fn.Properties.Architectures])).toEqual([
      ['nodejs24.x', ['arm64']],
      ['nodejs24.x', ['arm64']],
    ]);
    const schedules = resources.filter((resource) => resource.Type === 'AWS::Scheduler::Schedule');
    expect(schedules.map((schedule) => schedule.Properties.ScheduleExpression).sort()).toEqual([
      'rate(15 minutes)',
      'rate(30 minutes)',
    ]);
  });

  it("ships the app's configuration in the code asset, beside the prebuilt bundle", () => {
    expect(readdirSync(sweepAsset).sort()).toEqual(['fleet.json', 'index.mjs', 'index.mjs.map']);
    const document = JSON.parse(readFileSync(join(sweepAsset, 'fleet.json'), 'utf8'));
    expect(document.config).toEqual(config);
  });

  it('has a sweep bundle that runs under the Lambda runtime interface client', async () => {
    const zuora = await ZuoraEmulator.start();
    const secrets = await SecretsManagerEmulator.start();
    secrets.put('zuora/prod-eu', credentialsSecret(zuora.url));
    const stale = zuora.addJob({ ageMinutes: 300 });
    const fn = await RicFunction.start(
      join(sweepAsset, 'index.mjs'),
      {
        QUERY_JANITOR_FLEET: 'fleet.json',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
        POWERTOOLS_METRICS_NAMESPACE: 'QueryJanitorConsumerTest',
      },
      { files: [join(sweepAsset, 'fleet.json')] },
    );
    try {
      const result = await timed('invoke', () =>
        fn.invoke({ trigger: 'schedule', tenant: 'prod-eu' }, 30_000),
      );
      expect(result.outcome).toBe('response');
      expect(result.payload).toMatchObject({
        tenant: 'prod-eu',
        dryRun: true,
        counts: { stale: 1, wouldCancel: 1 },
        jobs: [{ id: stale.id, outcome: 'would-cancel' }],
      });
    } finally {
      await fn.stop();
      await zuora.close();
      await secrets.close();
    }
  });
});
