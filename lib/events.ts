/**
 * The events the Lambda functions accept, validated before any Zuora call. A refused event
 * throws {@link InvalidEventError} naming every problem; the asynchronous invocation then fails
 * and the on-failure destination keeps the event.
 */

import * as z from 'zod/mini';
import { formatDuration } from './contract/duration.ts';
import { MAX_JOB_IDS, MAX_REASON_LENGTH } from './contract/limits.ts';
import { CANCEL_DETAIL_TYPE, SWEEP_DETAIL_TYPE } from './contract/names.ts';
import { parseStaleAfter, TENANT_NAME } from './contract/settings.ts';
import { boundedText, looksLikeQuery } from './contract/text.ts';
import { lazySchema, parseWith } from './contract/validation.ts';
import { JOB_ID_PATTERN } from './zuora/model.ts';

/** The event was refused; nothing was sent to Zuora. */
export class InvalidEventError extends Error {
  override name = 'InvalidEventError';
}

/** What a sweep should do, from the Scheduler input or a `Sweep Query Jobs` event. */
export interface SweepRequest {
  trigger: 'schedule' | 'sweep-event';
  /** The tenant to sweep; required when the deployment has more than one. */
  tenant?: string | undefined;
  /** When the schedule meant to run (the schedule's own time, not the clock). */
  scheduledTime?: string | undefined;
  dryRun?: boolean | undefined;
  staleAfterMs?: number | undefined;
}

/** What a `Cancel Query Jobs` event asks for. */
export interface CancelRequest {
  tenant?: string | undefined;
  jobIds: string[];
  reason?: string | undefined;
  dryRun?: boolean | undefined;
}

/** A tenant name in an event: the configuration's slug. */
const tenantField = () =>
  z.optional(z.string().check(z.regex(TENANT_NAME, 'must be the name of a configured tenant')));

/** The input the EventBridge Scheduler schedule sends (see the construct). */
const scheduleInputSchema = lazySchema(() =>
  z.strictObject({
    trigger: z.literal('schedule'),
    tenant: tenantField(),
    scheduledTime: z.optional(
      z
        .string()
        .check(z.maxLength(64), z.regex(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/, 'must be a UTC time')),
    ),
    // Schedules deployed by 0.2.0 and earlier still send it, as their dead letters do: unused.
    executionId: z.optional(z.string().check(z.maxLength(128))),
  }),
);

const envelope = <D extends z.core.$ZodType>(detailType: string, detail: D) =>
  z.looseObject({
    'detail-type': z.literal(detailType),
    source: z.string().check(z.minLength(1), z.maxLength(256)),
    detail,
  });

const sweepEventSchema = lazySchema(() =>
  envelope(
    SWEEP_DETAIL_TYPE,
    z.strictObject({
      tenant: tenantField(),
      dryRun: z.optional(z.boolean()),
      staleAfter: z.optional(
        z.string().check(
          z.maxLength(32),
          z.refine(
            (value) => parseStaleAfter(value) !== undefined,
            'must be a duration of at least 5m, such as 90m, 2h, 1d or PT2H',
          ),
        ),
      ),
    }),
  ),
);

const cancelEventSchema = lazySchema(() =>
  envelope(
    CANCEL_DETAIL_TYPE,
    z.strictObject({
      tenant: tenantField(),
      jobIds: z
        .array(z.string().check(z.maxLength(36), z.regex(JOB_ID_PATTERN, 'must be a job UUID')))
        .check(
          z.minLength(1, 'must name at least one job id'),
          z.maxLength(MAX_JOB_IDS, `must name at most ${MAX_JOB_IDS} job ids`),
          z.refine(
            (ids) => new Set(ids.map((id) => id.toLowerCase())).size === ids.length,
            'must not repeat a job id',
          ),
        ),
      reason: z.optional(z.string().check(z.maxLength(MAX_REASON_LENGTH))),
      dryRun: z.optional(z.boolean()),
    }),
  ),
);

function describeShape(event: unknown): string {
  if (event === null) return 'null';
  if (Array.isArray(event)) return 'an array';
  return `a ${typeof event}`;
}

/**
 * Refuses a command from another source than the deployment's. The bus's rules already route
 * only its own source here; this holds for anything else that can invoke the function.
 */
function requireSource(record: Record<string, unknown>, source: string, detailType: string): void {
  if (record.source !== source) {
    throw new InvalidEventError(`${detailType} events are accepted from source "${source}" only`);
  }
}

function requireObject(event: unknown, what: string): Record<string, unknown> {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new InvalidEventError(`${what} must be a JSON object, got ${describeShape(event)}`);
  }
  return event as Record<string, unknown>;
}

/**
 * Parses the sweep function's input: the Scheduler's `{"trigger":"schedule"}` or a
 * `Sweep Query Jobs` EventBridge event from `source` (the deployment's event source).
 */
export function parseSweepEvent(event: unknown, source: string): SweepRequest {
  const record = requireObject(event, 'Sweep input');
  if ('detail-type' in record) {
    if (record['detail-type'] !== SWEEP_DETAIL_TYPE) {
      throw new InvalidEventError(
        `The sweep function handles detail-type "${SWEEP_DETAIL_TYPE}" only`,
      );
    }
    requireSource(record, source, SWEEP_DETAIL_TYPE);
    const parsed = parseWith(
      sweepEventSchema(),
      record,
      (problems) => new InvalidEventError(`Invalid ${SWEEP_DETAIL_TYPE} event: ${problems}`),
    );
    return {
      trigger: 'sweep-event',
      tenant: parsed.detail.tenant,
      dryRun: parsed.detail.dryRun,
      staleAfterMs:
        parsed.detail.staleAfter === undefined
          ? undefined
          : parseStaleAfter(parsed.detail.staleAfter),
    };
  }
  const input = parseWith(
    scheduleInputSchema(),
    record,
    (problems) =>
      new InvalidEventError(
        `Invalid sweep input: expected {"trigger":"schedule"} or a "${SWEEP_DETAIL_TYPE}" event: ${problems}`,
      ),
  );
  return { trigger: 'schedule', tenant: input.tenant, scheduledTime: input.scheduledTime };
}

/** Parses a `Cancel Query Jobs` EventBridge event from `source` (the deployment's event source). */
export function parseCancelEvent(event: unknown, source: string): CancelRequest {
  const record = requireObject(event, 'Cancel event');
  if (record['detail-type'] !== CANCEL_DETAIL_TYPE) {
    throw new InvalidEventError(
      `The cancel function handles detail-type "${CANCEL_DETAIL_TYPE}" only`,
    );
  }
  requireSource(record, source, CANCEL_DETAIL_TYPE);
  const parsed = parseWith(
    cancelEventSchema(),
    record,
    (problems) => new InvalidEventError(`Invalid ${CANCEL_DETAIL_TYPE} event: ${problems}`),
  );
  return {
    tenant: parsed.detail.tenant,
    jobIds: parsed.detail.jobIds.map((id) => id.toLowerCase()),
    reason: parsed.detail.reason === undefined ? undefined : safeReason(parsed.detail.reason),
    dryRun: parsed.detail.dryRun,
  };
}

/**
 * An event's free-text reason made safe for logs, reports and result events: one line, no
 * control or bidi characters, and withheld if it looks like it quotes a query.
 */
function safeReason(reason: string): string {
  if (looksLikeQuery(reason)) return '[reason withheld: it may quote query text]';
  return boundedText(reason, MAX_REASON_LENGTH);
}

/** What events may change in this deployment's runs: they may make a run more careful, never less. */
export interface EventLimits {
  /** The deployment's own dry-run setting. */
  readonly dryRun: boolean;
  /** The lowest stale-after an event may ask for. */
  readonly staleAfterFloorMs: number;
}

/**
 * Refuses what an event may not ask for: `dryRun: false` on a dry-run deployment, a
 * `staleAfter` below the floor. Throws {@link InvalidEventError}; the event is kept.
 */
export function enforceEventLimits<
  R extends { dryRun?: boolean | undefined; staleAfterMs?: number | undefined },
>(request: R, limits: EventLimits, detailType: string): R {
  const problems: string[] = [];
  if (request.dryRun === false && limits.dryRun) {
    problems.push(
      'dryRun false on a dry-run deployment (go live by setting dryRun to false in its configuration)',
    );
  }
  if (request.staleAfterMs !== undefined && request.staleAfterMs < limits.staleAfterFloorMs) {
    problems.push(
      `staleAfter ${formatDuration(request.staleAfterMs)} is below this deployment's floor of ${formatDuration(limits.staleAfterFloorMs)} (eventStaleAfterFloor)`,
    );
  }
  if (problems.length > 0) {
    throw new InvalidEventError(
      `Refused ${detailType} event: ${problems.join('; ')}. Events may make a run more careful, never less.`,
    );
  }
  return request;
}

/**
 * The tenant an event or schedule names: required when the deployment has more than one; refused
 * when unknown or disabled, before any call. `tenants` are the configured names.
 */
export function selectTenant(
  requested: string | undefined,
  tenants: ReadonlyMap<string, { readonly enabled: boolean }>,
  detailType: string,
): string {
  const names = [...tenants.keys()];
  if (requested === undefined && names.length !== 1) {
    throw new InvalidEventError(
      `Refused ${detailType}: tenant is required, this deployment has ${names.length} tenants (${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''})`,
    );
  }
  // Named or implied (the only one), the same checks: a lone disabled tenant is still disabled.
  const name = requested ?? (names[0] as string);
  const tenant = tenants.get(name);
  if (!tenant)
    throw new InvalidEventError(`Refused ${detailType}: no tenant "${name}" is configured`);
  if (!tenant.enabled) {
    throw new InvalidEventError(
      `Refused ${detailType}: tenant "${name}" is disabled in the configuration`,
    );
  }
  return name;
}
