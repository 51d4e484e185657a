/**
 * Dependencies point one way: hosts → janitor → Zuora client → HTTP. The janitor and the Zuora
 * client never reach the AWS SDK, not even through another module, and `infra/` reaches nothing
 * of `lib/` but the contract.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { forbiddenImports } from '../support/import-graph.ts';

const filesIn = (dir: string) =>
  readdirSync(dir)
    .filter((name) => name.endsWith('.ts'))
    .map((name) => `${dir}/${name}`);

const core = [...filesIn('lib/janitor'), ...filesIn('lib/zuora'), ...filesIn('lib/contract')];
const awsSdk = (path: string) => path.startsWith('@aws-sdk/');

describe('import graph', () => {
  it('lets nothing reachable from lib/janitor, lib/zuora or lib/contract import @aws-sdk', async () => {
    expect(await forbiddenImports({ entryPoints: core, forbidden: awsSdk })).toEqual([]);
  });

  it('catches an indirect @aws-sdk import reached from lib/janitor (the check is live)', async () => {
    const chains = await forbiddenImports({
      entryPoints: core,
      forbidden: awsSdk,
      // The shape of the old violation: the janitor importing the Secrets Manager adapter.
      inject: { 'lib/janitor/sweep.ts': ['../aws/secrets-manager.ts'] },
    });

    expect(chains.map((chain) => chain.slice(-3))).toEqual([
      ['lib/janitor/sweep.ts', 'lib/aws/secrets-manager.ts', '@aws-sdk/client-secrets-manager'],
    ]);
  });

  it('keeps the Zuora client below the janitor and the contract below both', async () => {
    const upward = await forbiddenImports({
      entryPoints: [...filesIn('lib/zuora'), ...filesIn('lib/contract')],
      forbidden: (path) =>
        /^lib\/(janitor|aws)\//.test(path) || /^(functions|infra|bin)\//.test(path),
    });
    const contractOut = await forbiddenImports({
      entryPoints: filesIn('lib/contract'),
      forbidden: (path) => path.startsWith('lib/') && !path.startsWith('lib/contract/'),
    });

    expect(upward).toEqual([]);
    expect(contractOut).toEqual([]);
  });

  it('lets infra/ reach only the contract of lib/, never runtime code', async () => {
    const chains = await forbiddenImports({
      entryPoints: filesIn('infra'),
      forbidden: (path) =>
        (path.startsWith('lib/') && !path.startsWith('lib/contract/')) ||
        path.startsWith('functions/') ||
        path.startsWith('@aws-sdk/') ||
        path.startsWith('@aws-lambda-powertools/') ||
        path.startsWith('@middy/'),
    });

    expect(chains).toEqual([]);
  });
});
