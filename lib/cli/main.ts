/**
 * `query-janitor`: the janitor from a laptop. `list`, `sweep` and `cancel` work on one tenant (or,
 * for `list` and `sweep`, every tenant of a file in parallel); `config validate|show` check a
 * configuration file; `redrive` re-sends what the failed-events queue kept. Dry-run by default;
 * `--json` prints exactly the report on standard output, logs go to standard error.
 * Exit codes: 0 all good, 1 some jobs failed or Zuora could not be reached, 2 usage or
 * configuration error, 130 stopped by Ctrl-C.
 */
import { createRequire } from 'node:module';
import { ConfigError, loadFleet } from '../config.ts';
import { formatDuration } from '../contract/duration.ts';
import { SERVICE_NAME } from '../contract/names.ts';
import { re2Problem } from '../contract/pattern-check.ts';
import { InvalidEventError } from '../events.ts';
import {
  createJanitor,
  describeError,
  type JobListing,
  type Report,
  type RunOptions,
} from '../janitor/index.ts';
import { createStderrLogger, type Log } from '../log.ts';
import { TokenCache } from '../zuora/auth.ts';
import { CredentialsError } from '../zuora/credentials.ts';
import { formatListing, formatReport, formatSettings } from './format.ts';
import { type Command, parseCommand, UsageError } from './options.ts';
import { redrive } from './redrive.ts';
import { type CliTenant, readConfigFile, selectCliTenants } from './tenants.ts';
import { COMMAND_HELP, OVERVIEW } from './usage.ts';

/** Exit codes: 130 is the shell's code for a run stopped by Ctrl-C (128 + SIGINT). */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** Where the CLI reads and writes; injectable for tests. */
export interface CliIo {
  env: Readonly<Record<string, string | undefined>>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Aborted on Ctrl-C: no new work starts, what is in flight finishes. */
  signal?: AbortSignal;
}

/** Runs the CLI and resolves to its exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let command: Command;
  try {
    command = parseCommand(argv);
  } catch (error) {
    const topic = argv.find((arg) => COMMAND_HELP[arg] !== undefined);
    io.stderr(
      `query-janitor: ${(error as Error).message}\n\n${(topic && COMMAND_HELP[topic]) ?? OVERVIEW}`,
    );
    return EXIT.usage;
  }
  if (command.kind === 'help') {
    io.stdout((command.topic && COMMAND_HELP[command.topic]) ?? OVERVIEW);
    return EXIT.ok;
  }
  if (command.kind === 'version') {
    io.stdout(`${packageVersion()}\n`);
    return EXIT.ok;
  }
  const log = createStderrLogger({
    level: io.env.POWERTOOLS_LOG_LEVEL ?? 'warn',
    keys: { service: io.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME },
    write: io.stderr,
  });
  try {
    if (command.kind === 'config') return configCommand(command, io);
    if (command.kind === 'redrive') return await redrive(command, io);
    return await tenantCommand(command, io, log);
  } catch (error) {
    const usage =
      error instanceof UsageError ||
      error instanceof ConfigError ||
      error instanceof InvalidEventError ||
      (error instanceof CredentialsError && error.reason === 'invalid');
    io.stderr(`query-janitor: ${usage ? (error as Error).message : describeError(error)}\n`);
    if (usage) return EXIT.usage;
    // What Ctrl-C cut short (a listing waiting out a Retry-After) ends as an interruption.
    return io.signal?.aborted ? EXIT.interrupted : EXIT.failed;
  }
}

type TenantCommand = Extract<Command, { kind: 'list' | 'sweep' | 'cancel' }>;
type Outcome = { tenant: string; result: Report | JobListing } | { tenant: string; error: unknown };

async function tenantCommand(command: TenantCommand, io: CliIo, log: Log): Promise<number> {
  const tenants = selectCliTenants(command, io.env);
  for (const { config, warning: credentialsWarning } of tenants) {
    const warning = config.protectQueryPattern && re2Problem(config.protectQueryPattern.source);
    if (warning) io.stderr(`query-janitor: warning: tenant ${config.name}: ${warning}\n`);
    if (command.configPath !== undefined) refuseLessCareful(command, config);
    if (credentialsWarning) {
      io.stderr(`query-janitor: warning: tenant ${config.name}: ${credentialsWarning}\n`);
    }
  }
  const deadline = Date.now() + command.timeoutMs;
  // Tenants are independent (each has its own Zuora limits): all of them at once.
  const outcomes = await Promise.all(
    tenants.map((tenant) =>
      runTenant(command, tenant, deadline, io, log).then(
        (result): Outcome => ({ tenant: tenant.config.name, result }),
        (error: unknown): Outcome => ({ tenant: tenant.config.name, error }),
      ),
    ),
  );
  print(command, outcomes, io);
  if (io.signal?.aborted) return EXIT.interrupted;
  const failed = outcomes.some(
    (outcome) =>
      'error' in outcome || ('counts' in outcome.result && outcome.result.counts.failed > 0),
  );
  return failed ? EXIT.failed : EXIT.ok;
}

/** With a configuration file, flags may only make a run more careful, as events may. */
function refuseLessCareful(command: TenantCommand, config: CliTenant['config']): void {
  if (command.kind !== 'list' && command.live && config.dryRun) {
    throw new UsageError(
      `--no-dry-run refused: tenant ${config.name} is dry-run in its configuration (set "dryRun": false there to go live)`,
    );
  }
  if (command.kind !== 'list' && command.live && !config.enabled) {
    throw new UsageError(
      `--no-dry-run refused: tenant ${config.name} is disabled in its configuration ("enabled": false); a dry run still shows what it would do`,
    );
  }
  if (
    command.kind === 'sweep' &&
    command.staleAfterMs !== undefined &&
    command.staleAfterMs < config.eventStaleAfterFloorMs
  ) {
    throw new UsageError(
      `--stale-after ${formatDuration(command.staleAfterMs)} refused: tenant ${config.name}'s floor is ${formatDuration(config.eventStaleAfterFloorMs)} (eventStaleAfterFloor)`,
    );
  }
}

async function runTenant(
  command: TenantCommand,
  tenant: CliTenant,
  deadline: number,
  io: CliIo,
  log: Log,
): Promise<Report | JobListing> {
  const janitor = createJanitor({
    config: tenant.config,
    credentials: tenant.credentials,
    tokens: new TokenCache(),
    log,
  });
  const live = command.kind !== 'list' && command.live;
  const options: RunOptions = {
    trigger: 'cli',
    deadline,
    signal: io.signal,
    // Dry-run unless --no-dry-run; without a file, JANITOR_DRY_RUN=false does the same.
    dryRun: live ? false : command.configPath !== undefined || tenant.config.dryRun,
  };
  if (command.kind === 'list') return janitor.list(options);
  if (command.kind === 'sweep')
    return janitor.sweep({ ...options, staleAfterMs: command.staleAfterMs });
  return janitor.cancel(command.ids, { ...options, reason: command.reason });
}

function print(command: TenantCommand, outcomes: Outcome[], io: CliIo): void {
  const single = outcomes.length === 1 && !command.allTenants;
  if (command.json) {
    const json = outcomes.map((outcome) =>
      'error' in outcome
        ? { tenant: outcome.tenant, error: describeError(outcome.error) }
        : outcome.result,
    );
    if (single && !('error' in (outcomes[0] as Outcome))) {
      io.stdout(`${JSON.stringify(json[0], null, 2)}\n`);
    } else if (!single) {
      io.stdout(`${JSON.stringify(json, null, 2)}\n`);
    }
  } else {
    for (const outcome of outcomes) {
      if (!single) io.stdout(`== tenant ${outcome.tenant}\n`);
      if ('error' in outcome) {
        if (!single) io.stdout(`failed: ${describeError(outcome.error)}\n\n`);
        continue;
      }
      const { result } = outcome;
      io.stdout('counts' in result ? formatReport(result) : formatListing(result));
      if (!single) io.stdout('\n');
    }
  }
  // A single tenant's failure is the run's: said on standard error, like any other.
  for (const outcome of outcomes) {
    if ('error' in outcome && single) throw outcome.error;
  }
}

function configCommand(command: Extract<Command, { kind: 'config' }>, io: CliIo): number {
  const { text, where } = readConfigFile(command.configPath);
  const fleet = loadFleet(text, where);
  const tenants = [...fleet.tenants.values()].filter(
    (tenant) => command.tenant === undefined || tenant.name === command.tenant,
  );
  if (command.tenant !== undefined && tenants.length === 0) {
    throw new UsageError(`no tenant "${command.tenant}" in ${where}`);
  }
  for (const tenant of tenants) {
    const warning = tenant.protectQueryPattern && re2Problem(tenant.protectQueryPattern.source);
    if (warning) io.stderr(`query-janitor: warning: tenant ${tenant.name}: ${warning}\n`);
  }
  if (command.action === 'validate') {
    const names = [...fleet.tenants.keys()];
    io.stdout(
      `${where} is valid: ${names.length} tenant${names.length === 1 ? '' : 's'} (${names.join(', ')})\n`,
    );
    return EXIT.ok;
  }
  io.stdout(formatSettings(fleet, tenants, command.json));
  return EXIT.ok;
}

/**
 * The package's version, from its package.json: two directories up from `lib/cli/` in this
 * repository, three from `dist/lib/cli/` in the package.
 */
function packageVersion(): string {
  const require = createRequire(import.meta.url);
  for (const candidate of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = require(candidate) as { name?: string; version?: string };
      if (pkg.name === 'query-janitor' && pkg.version) return pkg.version;
    } catch {
      // Not this one.
    }
  }
  return 'unknown';
}
