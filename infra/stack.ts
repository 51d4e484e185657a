/**
 * The deployable stack: one {@link QueryJobJanitor}, configured by one checked-in file,
 * `query-janitor.config.json` at the CDK app's root (`cdk deploy -c config=<path>` for another).
 * Without the file it deploys one dry-run tenant with a new secret. The `-c key=value` settings
 * of release 0.1 are refused, each naming the file key that replaces it: a live deployment must
 * not silently come back dry-run (or with a new, empty secret) because a flag was forgotten.
 */
import { lstatSync } from 'node:fs';
import { resolve } from 'node:path';
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { readConfigFile } from '../lib/contract/config-file.ts';
import { type FleetConfig, parseFleetText } from '../lib/contract/fleet.ts';
import { QueryJobJanitor } from './query-job-janitor.ts';

/** The configuration file read when `-c config=…` is not given. */
export const DEFAULT_CONFIG_PATH = 'query-janitor.config.json';

/** Context keys of release 0.1, and where each setting lives now. */
const LEGACY_CONTEXT: Readonly<Record<string, string>> = {
  dryRun: '"dryRun" (in "defaults" or the tenant)',
  staleAfter: '"staleAfter"',
  staleAfterAccepted: '"staleAfterAccepted"',
  staleAfterInProgress: '"staleAfterInProgress"',
  maxCancelsPerRun: '"maxCancelsPerRun"',
  concurrency: '"concurrency"',
  protectCreatedBy: '"protectCreatedBy" (a list)',
  protectQueryPattern: '"protectQueryPattern"',
  onlyCreatedBy: '"onlyCreatedBy" (a list)',
  entityIds: 'the tenant\'s "entityIds" (a list)',
  orgIds: 'the tenant\'s "orgIds" (a list)',
  baseUrl: 'the tenant\'s "baseUrl"',
  secretName: 'the tenant\'s "secret"',
  scheduleMinutes: '"schedule", e.g. "rate(15 minutes)"',
  eventSource: '"eventSource"',
  alarmTopicArn: '"alarmTopicArn"',
  commandSenders: '"commandSenders" (a list)',
};

/** Stack with the janitor, configured by the file. */
export class QueryJanitorStack extends Stack {
  readonly janitor: QueryJobJanitor;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, {
      description: 'query-janitor: cancels stale Zuora Data Query jobs for a fleet of tenants',
      ...props,
    });
    refuseLegacyContext(this);
    this.janitor = new QueryJobJanitor(this, 'Janitor', {
      // Whatever the file holds (even `null`): the construct judges it.
      config: readConfig(this) as FleetConfig | undefined,
    });
  }
}

function refuseLegacyContext(scope: Construct): void {
  const given = Object.keys(LEGACY_CONTEXT).filter(
    (key) => scope.node.tryGetContext(key) !== undefined,
  );
  if (given.length === 0) return;
  const lines = given.map((key) => `-c ${key} → ${LEGACY_CONTEXT[key]}`);
  throw new Error(
    `Settings are no longer read from -c: put them in ${DEFAULT_CONFIG_PATH} (or the file -c config=<path> names) instead: ${lines.join('; ')}`,
  );
}

/**
 * The configuration file's content (any JSON value: the construct judges it), or none (one
 * dry-run tenant) when there is no file. Read as the CLI reads it.
 */
function readConfig(scope: Construct): unknown {
  const named = scope.node.tryGetContext('config') as string | undefined;
  // No file at all, not even a link to one that is gone: that link is a file someone meant.
  const absent = !lstatSync(resolve(DEFAULT_CONFIG_PATH), { throwIfNoEntry: false });
  if (named === undefined && absent) return undefined;
  const read = readConfigFile(named ?? DEFAULT_CONFIG_PATH);
  if (!read.ok) {
    throw new Error(
      `Configuration file ${read.where}${named ? ' (-c config)' : ''} ${read.problem}`,
    );
  }
  try {
    // The schema is applied once, by the construct; only the JSON syntax is checked here.
    return JSON.parse(read.text);
  } catch {
    const result = parseFleetText(read.text);
    throw new Error(
      `${read.where} ${result.ok ? 'could not be read' : result.problems.join('; ')}`,
    );
  }
}
