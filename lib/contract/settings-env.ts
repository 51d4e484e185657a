/**
 * Janitor settings as environment variables, both ways: the construct writes them, the functions
 * and the CLI read them. The environment only carries text, so the reader decodes it and the
 * settings schema judges the result, as it judges the construct's props.
 */
import type { TenantSettings } from './settings.ts';

/**
 * The environment variable that carries each setting. The order is the order problems are
 * reported in.
 */
export const SETTING_VARIABLES = {
  secret: 'ZUORA_SECRET_ID',
  baseUrl: 'ZUORA_BASE_URL',
  entityIds: 'ZUORA_ENTITY_IDS',
  orgIds: 'ZUORA_ORG_IDS',
  dryRun: 'JANITOR_DRY_RUN',
  staleAfter: 'JANITOR_STALE_AFTER',
  staleAfterAccepted: 'JANITOR_STALE_AFTER_ACCEPTED',
  staleAfterInProgress: 'JANITOR_STALE_AFTER_IN_PROGRESS',
  eventStaleAfterFloor: 'JANITOR_EVENT_STALE_AFTER_FLOOR',
  maxCancelsPerRun: 'JANITOR_MAX_CANCELS_PER_RUN',
  concurrency: 'JANITOR_CONCURRENCY',
  protectCreatedBy: 'JANITOR_PROTECT_CREATED_BY',
  protectQueryPattern: 'JANITOR_PROTECT_QUERY_PATTERN',
  onlyCreatedBy: 'JANITOR_ONLY_CREATED_BY',
} as const satisfies Partial<Record<keyof TenantSettings, string>>;

/** A setting's key. */
export type SettingKey = keyof typeof SETTING_VARIABLES;

/**
 * Settings as environment variables (the inverse of reading them): lists comma-joined, other
 * values as text, unset keys left out. Only meaningful for settings the tenant schema accepts.
 */
export function settingsToEnv(settings: TenantSettings): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, variable] of Object.entries(SETTING_VARIABLES)) {
    const value = settings[key as SettingKey];
    if (value === undefined) continue;
    if (Array.isArray(value)) env[variable] = value.join(',');
    else if (typeof value === 'object') env[variable] = (value as { id: string }).id;
    else env[variable] = String(value);
  }
  return env;
}

/**
 * Settings from environment variables (the inverse of {@link settingsToEnv}): an empty variable
 * is unset; booleans read true/false, 1/0, yes/no; numbers read as numbers; lists split on
 * commas. Anything else is passed through as text for the schema to judge.
 */
export function settingsFromEnv(env: Readonly<Record<string, string | undefined>>): TenantSettings {
  const settings: Record<string, unknown> = {};
  for (const [key, variable] of Object.entries(SETTING_VARIABLES) as Array<[SettingKey, string]>) {
    const raw = env[variable];
    // A pattern is taken as written (a blank one is refused by the schema, as in the file).
    const text = key === 'protectQueryPattern' ? raw : raw?.trim();
    if (text === undefined || text === '') continue;
    settings[key] = decode(key, text);
  }
  return settings as TenantSettings;
}

const LIST_KEYS: ReadonlySet<SettingKey> = new Set([
  'entityIds',
  'orgIds',
  'protectCreatedBy',
  'onlyCreatedBy',
]);

function decode(key: SettingKey, text: string): unknown {
  if (LIST_KEYS.has(key)) {
    return text
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  }
  if (key === 'dryRun') {
    const lower = text.toLowerCase();
    if (['true', '1', 'yes'].includes(lower)) return true;
    if (['false', '0', 'no'].includes(lower)) return false;
    return text;
  }
  if (key === 'maxCancelsPerRun' || key === 'concurrency') {
    return /^[+-]?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
  }
  return text;
}
