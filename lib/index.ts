/**
 * `query-janitor`: the contracts other code builds on, for a TypeScript app that writes the
 * configuration file, checks it in CI, or consumes what the janitor reports and publishes. The
 * janitor itself runs as the CLI (`query-janitor`) and in the construct's functions
 * (`query-janitor/cdk`); its internals are not part of the API, so they can change in a minor
 * release.
 */

export type { FleetConfiguration, JanitorConfig } from './config.ts';
/** Validates a configuration file (its text or parsed JSON); throws {@link ConfigError}. */
export { ConfigError, loadFleet } from './config.ts';
export type { FleetConfig, NotificationSettings } from './contract/fleet.ts';
export { CAPACITY_SOURCES, type CapacitySource, ZUORA_CAPACITY } from './contract/limits.ts';
export {
  CANCEL_DETAIL_TYPE,
  DEFAULT_EVENT_SOURCE,
  RESULT_DETAIL_TYPES,
  SERVICE_NAME,
  SWEEP_DETAIL_TYPE,
} from './contract/names.ts';
export type {
  PolicySettings,
  PressureSettings,
  SecretReference,
  TenantSettings,
} from './contract/settings.ts';
export type { Capacity, Slots, SourceCapacity } from './janitor/capacity.ts';
export type { JobReport, Outcome, Report, ReportCounts, Trigger } from './janitor/report.ts';
