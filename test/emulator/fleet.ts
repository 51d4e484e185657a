/**
 * A fleet of emulated tenants: one Zuora emulator per tenant, one Secrets Manager holding each
 * tenant's secret (`zuora/<name>`), and a configuration file, written both as ops would write it
 * and as a function finds it in its code asset. Used by tests, the demo and the benchmark.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FleetConfig } from '../../lib/contract/fleet.ts';
import { writeFleetDocument } from '../../lib/contract/fleet-document.ts';
import type { TenantSettings } from '../../lib/contract/settings.ts';
import { SecretsManagerEmulator } from './secrets-manager.ts';
import { credentialsSecret, ZuoraEmulator, type ZuoraEmulatorOptions } from './zuora.ts';

/** Options of {@link startFleet}. */
export interface FleetOptions {
  /** Fleet-wide policy (`defaults` in the file). */
  defaults?: FleetConfig['defaults'];
  /** Per-tenant settings beyond name and secret. */
  tenants?: Readonly<Record<string, Omit<TenantSettings, 'name' | 'secret'>>>;
  /** Options of every tenant's Zuora emulator. */
  zuora?: ZuoraEmulatorOptions;
}

/** Starts one Zuora emulator per name and a Secrets Manager with their secrets. */
export async function startFleet(names: readonly string[], options: FleetOptions = {}) {
  const secrets = await SecretsManagerEmulator.start();
  const zuora = new Map<string, ZuoraEmulator>();
  for (const name of names) {
    const emulator = await ZuoraEmulator.start(options.zuora);
    zuora.set(name, emulator);
    secrets.put(`zuora/${name}`, credentialsSecret(emulator.url));
  }
  const config: FleetConfig = {
    ...(options.defaults ? { defaults: options.defaults } : {}),
    tenants: names.map((name) => ({ name, secret: `zuora/${name}`, ...options.tenants?.[name] })),
  };
  const dir = mkdtempSync(join(tmpdir(), 'qj-fleet-'));
  const configPath = join(dir, 'query-janitor.config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  writeFileSync(
    join(dir, 'fleet.json'),
    writeFleetDocument(
      config,
      Object.fromEntries(names.map((name) => [name, { id: `zuora/${name}` }])),
    ),
  );
  return {
    zuora,
    secrets,
    config,
    /** The configuration file as ops write it. */
    configPath,
    /** What a function needs to load the fleet from its "code asset" and reach the emulators. */
    env: {
      QUERY_JANITOR_FLEET: 'fleet.json',
      LAMBDA_TASK_ROOT: dir,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    } as Record<string, string>,
    /** The tenant's emulator. */
    tenant(name: string): ZuoraEmulator {
      return zuora.get(name) as ZuoraEmulator;
    },
    async close(): Promise<void> {
      for (const emulator of zuora.values()) await emulator.close();
      await secrets.close();
    },
  };
}

/** A running fleet (see {@link startFleet}). */
export type Fleet = Awaited<ReturnType<typeof startFleet>>;
