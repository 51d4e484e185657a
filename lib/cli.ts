/**
 * `query-janitor list | sweep | cancel <id...>`: the janitor from a laptop. Dry-run by default;
 * `--json` prints exactly the report on standard output, logs go to standard error.
 * Exit codes: 0 all good, 1 some jobs failed or Zuora could not be reached, 2 usage or
 * configuration error.
 */
import { parseArgs } from 'node:util';
import { SecretsManagerCredentials } from './aws/secrets-manager.ts';
import { ConfigError, loadConfig } from './config.ts';
import { parseDuration } from './contract/duration.ts';
import { MAX_JOB_IDS } from './contract/limits.ts';
import { CANCEL_DETAIL_TYPE, SERVICE_NAME } from './contract/names.ts';
import { re2Problem } from './contract/pattern-check.ts';
import { parseStaleAfter } from './contract/settings.ts';
import { InvalidEventError, parseCancelEvent } from './events.ts';
import { formatListing, formatReport } from './format.ts';
import { createJanitor, describeError } from './janitor/index.ts';
import { createStderrLogger, type Log } from './log.ts';
import { TokenCache } from './zuora/auth.ts';
import { type CredentialSource, CredentialsError, StaticCredentials } from './zuora/credentials.ts';

/** Exit codes: 130 is the shell's code for a run stopped by Ctrl-C (128 + SIGINT). */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** How long a CLI run may take before outstanding work is deferred (`--timeout`). */
const DEFAULT_RUN_MS = 10 * 60_000;

const USAGE = `Usage: query-janitor <command> [options]

Commands:
  list                 show accepted and in_progress jobs, their age and whether they are stale
  sweep                cancel stale jobs (dry-run unless --no-dry-run)
  cancel <id...>       cancel the named jobs if still running (dry-run unless --no-dry-run)

Options:
  --stale-after <d>    age past which a job is stale: 90m, 2h, 1d, PT2H (minimum 5m)
  --no-dry-run         really cancel (same as JANITOR_DRY_RUN=false)
  --json               print the report as JSON on standard output
  --secret-id <id>     read credentials from this Secrets Manager secret
  --timeout <d>        stop starting work after this long (default 10m); the rest is deferred
  -h, --help           show this help

Ctrl-C stops starting new work, lets what is in flight finish, prints what was done, exits 130.

Credentials come from --secret-id or ZUORA_SECRET_ID, or from ZUORA_CLIENT_ID,
ZUORA_CLIENT_SECRET and ZUORA_BASE_URL. The JANITOR_* variables configure the policy.
`;

/** Where the CLI reads and writes; injectable for tests. */
export interface CliIo {
  env: Readonly<Record<string, string | undefined>>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Shared across calls in one process (tests, the demo); a fresh one otherwise. */
  tokens?: TokenCache;
  /** Aborted on Ctrl-C: no new work starts, what is in flight finishes. */
  signal?: AbortSignal;
}

class UsageError extends Error {
  override name = 'UsageError';
}

/** Runs the CLI and resolves to its exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    io.stderr(`query-janitor: ${(error as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (parsed.help) {
    io.stdout(USAGE);
    return EXIT.ok;
  }
  const log = createStderrLogger({
    level: io.env.POWERTOOLS_LOG_LEVEL ?? 'warn',
    keys: { service: io.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME },
    write: io.stderr,
  });
  try {
    return await execute(parsed, io, log);
  } catch (error) {
    const usage =
      error instanceof UsageError ||
      error instanceof ConfigError ||
      error instanceof InvalidEventError ||
      (error instanceof CredentialsError && error.reason === 'invalid');
    io.stderr(`query-janitor: ${usage ? (error as Error).message : describeError(error)}\n`);
    return usage ? EXIT.usage : EXIT.failed;
  }
}

function parseCommandLine(argv: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      'stale-after': { type: 'string' },
      'no-dry-run': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'secret-id': { type: 'string' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...ids] = positionals;
  if (values.help) return { help: true as const };
  if (command !== 'list' && command !== 'sweep' && command !== 'cancel') {
    throw new UsageError(command ? `unknown command "${command}"` : 'a command is required');
  }
  if (command !== 'cancel' && ids.length > 0) {
    throw new UsageError(`"${command}" takes no arguments`);
  }
  if (command === 'cancel' && (ids.length === 0 || ids.length > MAX_JOB_IDS)) {
    throw new UsageError(`"cancel" takes 1 to ${MAX_JOB_IDS} job ids`);
  }
  let staleAfterMs: number | undefined;
  if (values['stale-after'] !== undefined) {
    staleAfterMs = parseStaleAfter(values['stale-after']);
    if (staleAfterMs === undefined) {
      throw new UsageError(
        '--stale-after must be a duration of at least 5m, such as 90m, 2h or PT2H',
      );
    }
  }
  let timeoutMs = DEFAULT_RUN_MS;
  if (values.timeout !== undefined) {
    const parsed = parseDuration(values.timeout);
    if (parsed === undefined || parsed < 1_000) {
      throw new UsageError('--timeout must be a duration of at least 1s, such as 30s, 10m or PT5M');
    }
    timeoutMs = parsed;
  }
  return {
    help: false as const,
    command,
    ids,
    staleAfterMs,
    timeoutMs,
    liveRun: values['no-dry-run'] === true,
    json: values.json === true,
    secretId: values['secret-id'],
  };
}

async function execute(
  args: Exclude<ReturnType<typeof parseCommandLine>, { help: true }>,
  io: CliIo,
  log: Log,
): Promise<number> {
  const config = loadConfig(io.env);
  const patternWarning =
    config.protectQueryPattern && re2Problem(config.protectQueryPattern.source);
  if (patternWarning) io.stderr(`query-janitor: warning: ${patternWarning}\n`);
  const janitor = createJanitor({
    config,
    credentials: credentialsFrom(args.secretId ?? config.secretId, config.baseUrl, io.env),
    tokens: io.tokens ?? new TokenCache(),
    log,
  });
  const options = {
    trigger: 'cli' as const,
    deadline: Date.now() + args.timeoutMs,
    signal: io.signal,
    dryRun: args.liveRun ? false : config.dryRun,
    staleAfterMs: args.staleAfterMs,
  };
  if (args.command === 'list') {
    const listing = await janitor.list(options);
    io.stdout(args.json ? `${JSON.stringify(listing, null, 2)}\n` : formatListing(listing));
    return EXIT.ok;
  }
  const report =
    args.command === 'sweep'
      ? await janitor.sweep(options)
      : await janitor.cancel(validIds(args.ids), options);
  io.stdout(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  if (io.signal?.aborted) return EXIT.interrupted;
  return report.counts.failed > 0 ? EXIT.failed : EXIT.ok;
}

/** Validates ids with the same rules as the `Cancel Query Jobs` event. */
function validIds(ids: readonly string[]): string[] {
  return parseCancelEvent({
    'detail-type': CANCEL_DETAIL_TYPE,
    source: 'cli',
    detail: { jobIds: ids },
  }).jobIds;
}

function credentialsFrom(
  secretId: string | undefined,
  baseUrl: string | undefined,
  env: CliIo['env'],
): CredentialSource {
  if (secretId) return new SecretsManagerCredentials({ secretId, fallbackBaseUrl: baseUrl });
  if (!env.ZUORA_CLIENT_ID && !env.ZUORA_CLIENT_SECRET) {
    throw new UsageError(
      'no credentials: pass --secret-id, set ZUORA_SECRET_ID, or set ZUORA_CLIENT_ID and ZUORA_CLIENT_SECRET',
    );
  }
  return new StaticCredentials({
    clientId: env.ZUORA_CLIENT_ID,
    clientSecret: env.ZUORA_CLIENT_SECRET,
    baseUrl,
  });
}
