/**
 * The configuration file: fleet-wide defaults, the tenants, and the deployment's own settings.
 * Ops check it in; `cdk deploy` validates it at synth, writes it into the functions' code asset,
 * and each function validates it again at start-up; the CLI reads it with `--config`. All go
 * through {@link parseFleet}, so a file is accepted by all of them or by none, with the same
 * message. Unknown keys are errors naming their path.
 *
 * JSON, not YAML: no parser to add to the CLI or the construct, editors check it against the
 * generated JSON Schema (`query-janitor.schema.json`), and it is what the functions load anyway.
 */
import * as z from 'zod/mini';
import { deployTimeSecretsProblem } from './fleet-document.ts';
import { DEFAULT_EVENT_SOURCE, EVENT_SOURCE_PATTERN } from './names.ts';
import {
  checkedBy,
  describeProblems,
  nameByKey,
  type PolicySettings,
  policyShape,
  type ResolvedTenant,
  resolveTenant,
  type SettingNamer,
  TENANT_NAME,
  type TenantSettings,
  tenantProblems,
  tenantSchema,
} from './settings.ts';
import { lazySchema } from './validation.ts';

/** The configuration file as ops write it. */
export interface FleetConfig {
  /** Where editors find the JSON Schema (`./query-janitor.schema.json`). */
  readonly $schema?: string | undefined;
  /** Policy for every tenant; a tenant's own keys win. */
  readonly defaults?: PolicySettings | undefined;
  /**
   * IAM role or user ARNs that may send commands to the janitor's bus: one account each (12
   * digits), wildcards allowed in the name (`arn:aws:iam::123456789012:role/oncall-*`).
   */
  readonly commandSenders?: readonly string[] | undefined;
  /** `source` of the command events. @default 'query-janitor' */
  readonly eventSource?: string | undefined;
  /** SNS topic the alarms notify. @default none: alarms show in CloudWatch only */
  readonly alarmTopicArn?: string | undefined;
  /** How long the audit trail (the result events' log group) is kept, in days. @default 365 */
  readonly auditLogRetentionDays?: number | undefined;
  /** SNS topics told about runs: at most one message per run per topic. */
  readonly notifications?: readonly NotificationSettings[] | undefined;
  /** At least one tenant. */
  readonly tenants: readonly TenantSettings[];
}

/** What a notification topic is told about. */
export const NOTIFY_ON = ['cancelled', 'failed', 'warned'] as const;

/** One notification rule: a topic, the cases it wants, optionally only some tenants. */
export interface NotificationSettings {
  readonly topicArn: string;
  /** Runs that cancelled, failed to cancel, or warned about at least one job. */
  readonly on: ReadonlyArray<(typeof NOTIFY_ON)[number]>;
  /** Only these tenants. @default every tenant */
  readonly tenants?: readonly string[] | undefined;
}

/** The configuration resolved: every tenant with the defaults applied. */
export interface ResolvedFleet {
  readonly commandSenders: readonly string[];
  readonly eventSource: string;
  readonly alarmTopicArn: string | undefined;
  readonly auditLogRetentionDays: number;
  readonly notifications: readonly NotificationSettings[];
  readonly tenants: readonly ResolvedTenant[];
}

/** What a deployment without a configuration file runs: one dry-run tenant with a new secret. */
export const DEFAULT_FLEET: FleetConfig = { tenants: [{ name: 'default' }] };

/** The retention periods CloudWatch Logs accepts, in days. */
const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
];

const PRINCIPAL_ARN = /^arn:aws[\w-]*:(iam|sts)::([^:]*):([\w+=,.@/*:-]+)$/;

/**
 * Why `arn` cannot name command senders: the bus policy matches it against `aws:PrincipalArn`,
 * which is always an IAM role or user ARN, in one account.
 */
export function senderProblem(arn: string): string | undefined {
  const match = PRINCIPAL_ARN.exec(arn);
  if (!match) return 'must be an IAM principal ARN (wildcards allowed)';
  const [, service, account, resource] = match;
  if (!/^\d{12}$/.test(account ?? '')) {
    // Any account's principal named like that (any role called "ops") could send commands.
    return 'must name one account (12 digits): a wildcard there would let any AWS account send commands';
  }
  if (service === 'sts' && resource?.startsWith('assumed-role/')) {
    // An assumed role's session is matched by its role's ARN: this one would never match.
    return 'must be the IAM role ARN (arn:aws:iam::<account>:role/<name>), not an assumed-role session';
  }
  return undefined;
}
const TOPIC_ARN = /^arn:aws[\w-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/;

/** The configuration file's schema. */
export const fleetSchema = lazySchema(() =>
  z.strictObject({
    $schema: z.optional(z.string()),
    defaults: z.optional(z.strictObject(policyShape())),
    commandSenders: z.optional(z.array(z.string().check(checkedBy(senderProblem)))),
    eventSource: z.optional(
      z.string().check(
        z.regex(EVENT_SOURCE_PATTERN, 'must be 1-128 letters, digits, dots, dashes'),
        // PutEvents refuses them: commands could never be sent, nor results published.
        z.refine(
          (source) => !/^aws\./i.test(source),
          'must not start with "aws.": EventBridge keeps those sources for AWS services',
        ),
      ),
    ),
    alarmTopicArn: z.optional(z.string().check(z.regex(TOPIC_ARN, 'must be an SNS topic ARN'))),
    auditLogRetentionDays: z.optional(
      z
        .number()
        .check(
          z.refine(
            (days) => RETENTION_DAYS.includes(days),
            `must be one of CloudWatch's retention periods: ${RETENTION_DAYS.join(', ')}`,
          ),
        ),
    ),
    notifications: z.optional(
      z.array(
        z.strictObject({
          topicArn: z.string().check(z.regex(TOPIC_ARN, 'must be an SNS topic ARN')),
          on: z.array(z.enum(NOTIFY_ON)).check(z.minLength(1, 'must name at least one case')),
          tenants: z.optional(
            z
              .array(z.string().check(z.regex(TENANT_NAME, 'must be a tenant name')))
              .check(z.minLength(1, 'must name at least one tenant, or be left out for all')),
          ),
        }),
      ),
    ),
    tenants: z.array(tenantSchema(), 'must be a list of tenants').check(
      z.minLength(1, 'must name at least one tenant'),
      z.superRefine((tenants, context) => {
        const seen = new Set<string>();
        tenants.forEach((tenant, index) => {
          if (tenant.name === undefined) {
            if (tenants.length > 1) {
              context.issues.push({
                code: 'custom',
                message: 'is required when there is more than one tenant',
                path: [index, 'name'],
                input: tenant,
              });
            }
            return;
          }
          if (seen.has(tenant.name)) {
            context.issues.push({
              code: 'custom',
              message: `"${tenant.name}" is used by another tenant`,
              path: [index, 'name'],
              input: tenant.name,
            });
          }
          seen.add(tenant.name);
        });
      }),
    ),
  }),
);

const TOO_LARGE = 'is too large or nested too deep to be checked';

/** The outcome of {@link parseFleet}. */
export type FleetResult =
  | { readonly ok: true; readonly fleet: ResolvedFleet }
  | { readonly ok: false; readonly problems: readonly string[] };

/**
 * Validates a configuration (parsed JSON) and resolves every tenant. Each problem reads
 * `<path> <what is wrong>`: `tenants[1].staleAfter must be at least 5m`.
 */
export function parseFleet(input: unknown, name: SettingNamer = nameByKey): FleetResult {
  let result: ReturnType<typeof z.safeParse<ReturnType<typeof fleetSchema>>>;
  try {
    result = z.safeParse(fleetSchema(), input);
  } catch (error) {
    // zod gathers issues recursively: tens of thousands of them, or nesting thousands deep,
    // exhaust the stack. No one writes such a file by hand; it is refused, not a crash.
    if (error instanceof RangeError) return { ok: false, problems: [TOO_LARGE] };
    throw error;
  }
  if (!result.success) return { ok: false, problems: describeProblems(result.error, name) };
  const config = result.data;
  const tenants = config.tenants.map((tenant) => resolveTenant(tenant, config.defaults));
  const problems = tenants.flatMap((tenant, index) =>
    tenantProblems(tenant).map(([key, problem]) => `${name(['tenants', index, key])} ${problem}`),
  );
  // A tenant without a secret gets one the stack creates, whose ARN travels as a variable.
  const tooMany = deployTimeSecretsProblem(tenants.filter((tenant) => !tenant.secret).length);
  if (tooMany) problems.push(`tenants: ${tooMany}`);
  const names = new Set(tenants.map((tenant) => tenant.name));
  config.notifications?.forEach((notification, index) => {
    notification.tenants?.forEach((tenant, item) => {
      if (!names.has(tenant)) {
        problems.push(
          `${name(['notifications', index, 'tenants', item])} "${tenant}" is not a configured tenant`,
        );
      }
    });
  });
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    fleet: {
      commandSenders: [...new Set(config.commandSenders ?? [])],
      eventSource: config.eventSource ?? DEFAULT_EVENT_SOURCE,
      alarmTopicArn: config.alarmTopicArn,
      auditLogRetentionDays: config.auditLogRetentionDays ?? 365,
      notifications: config.notifications ?? [],
      tenants,
    },
  };
}

/**
 * Reads a configuration file's text: JSON, then {@link parseFleet}. A syntax error is one
 * problem naming where it is, never the file's content.
 */
export function parseFleetText(text: string, name?: SettingNamer): FleetResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // Only where the error is: the parser's message may quote the file's text.
    const at = /position (\d+)(?: \(line (\d+) column (\d+)\))?/.exec(String(error));
    const where = at?.[2]
      ? ` (line ${at[2]}, column ${at[3]})`
      : at
        ? ` (at character ${at[1]})`
        : '';
    return { ok: false, problems: [`is not valid JSON${where}`] };
  }
  return parseFleet(json, name);
}

/** What each key means, for editors. */
const KEY_DESCRIPTIONS: Readonly<Record<string, string>> = {
  defaults: "Policy for every tenant; a tenant's own keys win.",
  commandSenders:
    'IAM role or user ARNs, one account each, wildcards allowed in the name, that may send Sweep/Cancel Query Jobs commands. None: commands are refused.',
  eventSource: 'source of the command events (default query-janitor).',
  alarmTopicArn: 'SNS topic the alarms notify.',
  auditLogRetentionDays:
    'How long the audit trail (result events in their own log group) is kept, in days (default 365).',
  notifications:
    'SNS topics told about runs that cancelled, failed or warned: one message per run per topic.',
  tenants: 'The Zuora tenants; one invocation serves one tenant.',
  name: 'A slug (lower-case letters, digits, dashes) used in events, metrics and logs.',
  secret:
    'Secrets Manager secret (name or ARN, or {id, kmsKeyArn}) holding {"clientId","clientSecret","baseUrl"?}. Default: one the stack creates, empty.',
  baseUrl: 'Zuora REST base URL when the secret has none (https; plain http only to loopback).',
  entityIds: 'Entities to sweep one by one (Zuora-Entity-Ids).',
  orgIds: 'Sent as Zuora-Org-Ids.',
  timeZone: 'IANA zone in which an updatedOn without offset is read (default UTC).',
  dryRun: 'Report what would be cancelled, cancel nothing (default true).',
  staleAfter: 'Age past which a job is stale: 90m, 2h, 1d or PT2H; at least 5m (default 2h).',
  staleAfterAccepted: 'Overrides staleAfter for accepted jobs.',
  staleAfterInProgress: 'Overrides staleAfter for in_progress jobs.',
  eventStaleAfterFloor:
    'Lowest staleAfter a command or --stale-after may ask for (default: the smaller threshold).',
  maxCancelsPerRun: 'Cancels per run, oldest first; the rest are deferred (default 25).',
  concurrency: 'Cancels in flight at once, 1 to 10 (default 4).',
  protectCreatedBy: 'User ids whose jobs are never cancelled (case-insensitive).',
  protectQueryPattern: 'Regular expression; matching queries are never cancelled.',
  onlyCreatedBy: "If set, only these users' jobs may be cancelled.",
  schedule:
    'EventBridge Scheduler expression: rate(15 minutes) or cron(...) (default rate(15 minutes)).',
  enabled: 'false: no schedule, and commands for the tenant are refused (default true).',
  warnBefore:
    'Publish "Query Job Will Be Cancelled" this long before a job becomes stale (needs a rate() schedule; default off).',
};
/** What {@link senderProblem} accepts, for editors: an IAM ARN in one account. */
const SENDER_PATTERN = '^arn:aws[\\w-]*:(iam|sts)::\\d{12}:[\\w+=,.@/*:-]+$';
const DURATION_PATTERN =
  '^\\s*(\\d+(\\.\\d+)?\\s*[smhdSMHD]|[Pp](\\d+(\\.\\d+)?[Dd])?([Tt](\\d+(\\.\\d+)?[Hh])?(\\d+(\\.\\d+)?[Mm])?(\\d+(\\.\\d+)?[Ss])?)?)\\s*$';

/** The JSON Schema of the configuration file, for editors (`query-janitor.schema.json`). */
export function fleetJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(fleetSchema(), { io: 'input', unrepresentable: 'any' });
  // Descriptions and the duration grammar, added where a key appears (the schema's refinements,
  // such as "at least 5m", do not translate to JSON Schema: `config validate` checks them).
  const annotate = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    const properties = (node as { properties?: Record<string, Record<string, unknown>> })
      .properties;
    for (const [key, property] of Object.entries(properties ?? {})) {
      const description = KEY_DESCRIPTIONS[key];
      if (description) property.description = description;
      if (/^staleAfter|Floor$|^warnBefore$/.test(key)) property.pattern = DURATION_PATTERN;
      if (key === 'commandSenders') {
        (property.items as Record<string, unknown>).pattern = SENDER_PATTERN;
      }
    }
    for (const value of Object.values(node)) annotate(value);
  };
  annotate(schema);
  return {
    ...schema,
    title: 'query-janitor configuration',
    description:
      'Fleet-wide defaults, the tenants (each with its secret, connection and policy overrides) and deployment settings. Validated at synth, at start-up and by the CLI.',
  };
}
