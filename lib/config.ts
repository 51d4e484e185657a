/**
 * The janitor's configuration from environment variables, read once at start-up. The variables
 * are decoded and judged by the one settings schema (`lib/contract/settings.ts`), and every
 * problem is reported together in one {@link ConfigError}.
 */
import { parseSettings, type ResolvedSettings } from './contract/settings.ts';
import { SETTING_VARIABLES, settingsFromEnv } from './contract/settings-env.ts';
import { compileQueryMatcher, type QueryMatcher } from './janitor/pattern.ts';

/** Validated configuration: the resolved settings, with the protect pattern compiled. */
export interface JanitorConfig extends Omit<ResolvedSettings, 'protectQueryPattern'> {
  readonly protectQueryPattern: QueryMatcher | undefined;
}

/** One message naming every invalid variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
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

/**
 * Reads and validates the configuration from `env`. With `requireSecretId` (Lambda),
 * `ZUORA_SECRET_ID` must be set. Throws {@link ConfigError} listing every bad variable.
 */
export function loadConfig(env: Env, options: { requireSecretId?: boolean } = {}): JanitorConfig {
  const settings = settingsFromEnv(env);
  const result = parseSettings(settings, variableName);
  const problems = result.ok ? [] : [...result.problems];
  if (options.requireSecretId && settings.secretId === undefined) {
    problems.unshift('ZUORA_SECRET_ID is required (the Secrets Manager secret name or ARN)');
  }
  if (!result.ok || problems.length > 0) throw new ConfigError(problems);
  const { protectQueryPattern, ...rest } = result.settings;
  return {
    ...rest,
    protectQueryPattern:
      protectQueryPattern === undefined ? undefined : compileQueryMatcher(protectQueryPattern),
  };
}
