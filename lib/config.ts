/**
 * The janitor's configuration at run time: the configuration file (a fleet of tenants) or, for
 * one tenant without a file, environment variables. Both are judged by the one schema in
 * `lib/contract/`, once, at start-up; every problem is reported together in one
 * {@link ConfigError}, named the way its source names it (a file path, or a variable).
 */

import * as z from 'zod/mini';
import { parseFleet, parseFleetText, type ResolvedFleet } from './contract/fleet.ts';
import type { FleetDocument } from './contract/fleet-document.ts';
import { DEFAULT_TENANT } from './contract/limits.ts';
import {
  describeProblems,
  type ResolvedTenant,
  resolveTenant,
  tenantSchema,
} from './contract/settings.ts';
import { SETTING_VARIABLES, settingsFromEnv } from './contract/settings-env.ts';
import { compileQueryMatcher, type QueryMatcher } from './janitor/pattern.ts';

/** One tenant's validated configuration, its protect pattern compiled. */
export interface JanitorConfig extends Omit<ResolvedTenant, 'protectQueryPattern'> {
  readonly protectQueryPattern: QueryMatcher | undefined;
}

/** The validated fleet: its tenants by name, and the deployment's own settings. */
export interface FleetConfiguration extends Omit<ResolvedFleet, 'tenants'> {
  readonly tenants: ReadonlyMap<string, JanitorConfig>;
}

/** One message naming every problem. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[], prefix = 'Invalid configuration') {
    super(`${prefix}: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Names a setting by its environment variable, with the item for list entries. */
function variableName(path: readonly PropertyKey[]): string {
  const [key, index] = path;
  const variable = SETTING_VARIABLES[key as keyof typeof SETTING_VARIABLES] ?? String(key);
  return typeof index === 'number' ? `${variable} (item ${index + 1})` : variable;
}

/** Compiles what the runtime needs beyond the resolved settings (the protect pattern). */
export function compileTenant(tenant: ResolvedTenant): JanitorConfig {
  const { protectQueryPattern, ...rest } = tenant;
  return {
    ...rest,
    protectQueryPattern:
      protectQueryPattern === undefined ? undefined : compileQueryMatcher(protectQueryPattern),
  };
}

/**
 * One tenant from environment variables (a deployment or a CLI without a configuration file).
 * With `requireSecretId` (Lambda), `ZUORA_SECRET_ID` must be set. Throws {@link ConfigError}
 * listing every bad variable.
 */
export function loadConfig(env: Env, options: { requireSecretId?: boolean } = {}): JanitorConfig {
  const settings = settingsFromEnv(env);
  const result = z.safeParse(tenantSchema(), settings);
  const problems = result.success ? [] : describeProblems(result.error, variableName);
  if (options.requireSecretId && settings.secret === undefined) {
    problems.unshift('ZUORA_SECRET_ID is required (the Secrets Manager secret name or ARN)');
  }
  if (!result.success || problems.length > 0) throw new ConfigError(problems);
  return compileTenant(resolveTenant({ ...result.data, name: DEFAULT_TENANT }));
}

/**
 * The fleet from a configuration file's text (or its parsed JSON). Throws {@link ConfigError}
 * naming every problem by its path in the file, `where` saying which file.
 */
export function loadFleet(
  source: string | unknown,
  where = 'configuration file',
): FleetConfiguration {
  const result = typeof source === 'string' ? parseFleetText(source) : parseFleet(source);
  if (!result.ok) throw new ConfigError(result.problems, `Invalid ${where}`);
  return {
    ...result.fleet,
    tenants: new Map(result.fleet.tenants.map((tenant) => [tenant.name, compileTenant(tenant)])),
  };
}

/**
 * The fleet from the configuration in a function's code asset (see `lib/contract/fleet-document.ts`),
 * each tenant's secret located: by name or ARN, or through the variable that carries a
 * deploy-time ARN. Throws {@link ConfigError}; the same file refused at synth is refused here
 * with the same problems.
 */
export function loadFleetDocument(text: string, env: Env): FleetConfiguration {
  let document: Partial<FleetDocument>;
  try {
    document = JSON.parse(text) as Partial<FleetDocument>;
  } catch {
    throw new ConfigError(['is not valid JSON'], 'Invalid configuration in the code asset');
  }
  if (document.version !== 1) {
    throw new ConfigError(['has an unknown version'], 'Invalid configuration in the code asset');
  }
  const fleet = loadFleet(document.config, 'configuration');
  const problems: string[] = [];
  const tenants = new Map<string, JanitorConfig>();
  for (const [name, tenant] of fleet.tenants) {
    const location = document.secrets?.[name];
    const id = location && 'env' in location ? env[location.env] : location?.id;
    if (!id)
      problems.push(`tenant ${name}: its secret is not in the code asset or the environment`);
    tenants.set(name, { ...tenant, secret: id ? { ...tenant.secret, id } : tenant.secret });
  }
  if (problems.length > 0)
    throw new ConfigError(problems, 'Invalid configuration in the code asset');
  return { ...fleet, tenants };
}
