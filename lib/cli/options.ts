/** The command line, read once into a {@link Command}: every usage problem is found here. */
import { parseArgs } from 'node:util';
import { parseDuration } from '../contract/duration.ts';
import { MAX_JOB_IDS } from '../contract/limits.ts';
import { DEFAULT_EVENT_SOURCE, EVENT_SOURCE_PATTERN } from '../contract/names.ts';
import { parseStaleAfter } from '../contract/settings.ts';
import { boundedText } from '../contract/text.ts';
import { JOB_ID_PATTERN } from '../zuora/model.ts';

/** A usage problem: the CLI exits 2 and says what to type instead. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** How long a run may take before outstanding work is deferred (`--timeout`). */
const DEFAULT_RUN_MS = 10 * 60_000;
/** The longest `--timeout`: a day. */
const MAX_RUN_MS = 24 * 3_600_000;

/** Options every tenant command takes. */
export interface TargetOptions {
  readonly configPath: string | undefined;
  readonly tenant: string | undefined;
  readonly allTenants: boolean;
  readonly json: boolean;
  readonly secretId: string | undefined;
  readonly timeoutMs: number;
}

/** What the command line asks for. */
export type Command =
  | { readonly kind: 'help'; readonly topic?: string | undefined }
  | { readonly kind: 'version' }
  | (TargetOptions & { readonly kind: 'list' })
  | (TargetOptions & {
      readonly kind: 'sweep';
      readonly staleAfterMs: number | undefined;
      readonly live: boolean;
    })
  | (TargetOptions & {
      readonly kind: 'cancel';
      readonly ids: readonly string[];
      readonly reason: string | undefined;
      readonly live: boolean;
    })
  | {
      readonly kind: 'config';
      readonly action: 'validate' | 'show';
      readonly configPath: string;
      readonly tenant: string | undefined;
      readonly json: boolean;
    }
  | {
      readonly kind: 'redrive';
      readonly queueUrl: string;
      readonly eventBus: string | undefined;
      /** The deployment's event source (its file's `eventSource`). */
      readonly eventSource: string;
      readonly apply: boolean;
      readonly max: number;
      readonly json: boolean;
    };

const COMMANDS = new Set(['list', 'sweep', 'cancel', 'config', 'redrive']);
/** Options every command that runs against a tenant takes. */
const RUN_OPTIONS = ['config', 'tenant', 'json', 'secret-id', 'timeout'] as const;

/** Reads `argv` (without the node and script paths). Throws {@link UsageError}. */
export function parseCommand(argv: readonly string[]): Command {
  let parsed: ReturnType<typeof parseArgv>;
  try {
    parsed = parseArgv(argv);
  } catch (error) {
    // node:util names the option; it never echoes more than the option itself.
    throw new UsageError(boundedText((error as Error).message, 200));
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.version) return { kind: 'version' };
  if (values.help)
    return { kind: 'help', topic: command && COMMANDS.has(command) ? command : undefined };
  if (command === undefined) throw new UsageError('a command is required');
  if (!COMMANDS.has(command)) throw new UsageError(`unknown command "${boundedText(command, 40)}"`);

  if (command === 'config') return configCommand(rest, values);
  if (command === 'redrive') return redriveCommand(rest, values);
  const target = targetOptions(values);
  if (command === 'list') {
    noArguments(command, rest);
    refuseUnless(command, values, [...RUN_OPTIONS, 'all-tenants']);
    return { kind: 'list', ...target };
  }
  if (command === 'sweep') {
    noArguments(command, rest);
    refuseUnless(command, values, [...RUN_OPTIONS, 'all-tenants', 'stale-after', 'no-dry-run']);
    return {
      kind: 'sweep',
      ...target,
      staleAfterMs: staleAfter(values['stale-after']),
      live: values['no-dry-run'] === true,
    };
  }
  refuseUnless(command, values, [...RUN_OPTIONS, 'reason', 'no-dry-run']);
  if (rest.length === 0 || rest.length > MAX_JOB_IDS) {
    throw new UsageError(`"cancel" takes 1 to ${MAX_JOB_IDS} job ids`);
  }
  const bad = rest.find((id) => !JOB_ID_PATTERN.test(id));
  if (bad !== undefined) {
    throw new UsageError(
      `"${boundedText(bad, 40)}" is not a job id (a UUID such as 3a3e85c4-96e7-486b-ae02-827120104301)`,
    );
  }
  const ids = rest.map((id) => id.toLowerCase());
  if (new Set(ids).size !== ids.length) throw new UsageError('a job id is named twice');
  const reason = values.reason;
  if (reason !== undefined && reason.length > 256)
    throw new UsageError('--reason must be at most 256 characters');
  return { kind: 'cancel', ...target, ids, reason, live: values['no-dry-run'] === true };
}

function parseArgv(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string' },
      tenant: { type: 'string' },
      'all-tenants': { type: 'boolean' },
      'stale-after': { type: 'string' },
      'no-dry-run': { type: 'boolean' },
      reason: { type: 'string' },
      json: { type: 'boolean' },
      'secret-id': { type: 'string' },
      timeout: { type: 'string' },
      'queue-url': { type: 'string' },
      'event-bus': { type: 'string' },
      'event-source': { type: 'string' },
      apply: { type: 'boolean' },
      max: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  });
}

type Values = ReturnType<typeof parseArgv>['values'];

function refuseUnless(command: string, values: Values, allowed: readonly string[]): void {
  const extra = Object.keys(values).filter((key) => !allowed.includes(key));
  if (extra.length > 0) throw new UsageError(`"${command}" does not take --${extra[0]}`);
}

function noArguments(command: string, rest: readonly string[]): void {
  if (rest.length > 0) throw new UsageError(`"${command}" takes no arguments`);
}

function targetOptions(values: Values): TargetOptions {
  const allTenants = values['all-tenants'] === true;
  if (allTenants && values.tenant !== undefined) {
    throw new UsageError('--all-tenants and --tenant cannot be combined');
  }
  if ((allTenants || values.tenant !== undefined) && values.config === undefined) {
    throw new UsageError(`--${allTenants ? 'all-tenants' : 'tenant'} needs --config <file>`);
  }
  if (allTenants && values['secret-id'] !== undefined) {
    throw new UsageError('--secret-id names one secret: it cannot be combined with --all-tenants');
  }
  let timeoutMs = DEFAULT_RUN_MS;
  if (values.timeout !== undefined) {
    const parsed = parseDuration(values.timeout);
    // A day is longer than any run needs, and well inside what Node's timers can wait (24.8
    // days): past that a timer fires at once, so a wait Zuora asked for would not be waited.
    if (parsed === undefined || parsed < 1_000 || parsed > MAX_RUN_MS) {
      throw new UsageError('--timeout must be a duration from 1s to 24h, such as 30s, 10m or PT5M');
    }
    timeoutMs = parsed;
  }
  return {
    configPath: values.config,
    tenant: values.tenant,
    allTenants,
    json: values.json === true,
    secretId: values['secret-id'],
    timeoutMs,
  };
}

function staleAfter(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseStaleAfter(text);
  if (ms === undefined) {
    throw new UsageError(
      '--stale-after must be a duration of at least 5m, such as 90m, 2h or PT2H',
    );
  }
  return ms;
}

function configCommand(rest: readonly string[], values: Values): Command {
  const [action, ...more] = rest;
  if (action !== 'validate' && action !== 'show') {
    throw new UsageError('"config" takes "validate" or "show"');
  }
  noArguments(`config ${action}`, more);
  refuseUnless(`config ${action}`, values, ['config', 'tenant', 'json']);
  if (values.config === undefined) throw new UsageError(`"config ${action}" needs --config <file>`);
  return {
    kind: 'config',
    action,
    configPath: values.config,
    tenant: values.tenant,
    json: values.json === true,
  };
}

/** A queue URL: https (plain http to loopback, for local queues), with no credentials in it. */
function queueUrlProblem(text: string): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      "--queue-url must be a URL (the stack's output <construct id>FailedEventsQueueUrl, e.g. JanitorFailedEventsQueueUrl)",
    );
  }
  if (url.username || url.password) throw new UsageError('--queue-url must not carry credentials');
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new UsageError('--queue-url must be https');
  }
}

function redriveCommand(rest: readonly string[], values: Values): Command {
  noArguments('redrive', rest);
  refuseUnless('redrive', values, [
    'queue-url',
    'event-bus',
    'event-source',
    'apply',
    'max',
    'json',
  ]);
  if (values['queue-url'] === undefined) {
    throw new UsageError(
      '"redrive" needs --queue-url (the stack\'s output <construct id>FailedEventsQueueUrl, e.g. JanitorFailedEventsQueueUrl)',
    );
  }
  if (values.apply === true && values['event-bus'] === undefined) {
    throw new UsageError(
      "--apply re-sends commands: name the janitor's bus with --event-bus (the stack's output <construct id>EventBusName, e.g. JanitorEventBusName)",
    );
  }
  queueUrlProblem(values['queue-url']);
  const max = values.max === undefined ? 100 : Number(values.max);
  if (!Number.isInteger(max) || max < 1 || max > 1_000) {
    throw new UsageError('--max must be a whole number from 1 to 1000');
  }
  const eventSource = values['event-source'] ?? DEFAULT_EVENT_SOURCE;
  if (!EVENT_SOURCE_PATTERN.test(eventSource)) {
    throw new UsageError('--event-source must be 1-128 letters, digits, dots, dashes');
  }
  return {
    kind: 'redrive',
    queueUrl: values['queue-url'],
    eventBus: values['event-bus'],
    eventSource,
    apply: values.apply === true,
    max,
    json: values.json === true,
  };
}
