/**
 * What the failed-events queue holds, read message by message: it receives three formats, and
 * each says differently what failed and what to send again.
 *
 * - a Lambda on-failure destination record: `{requestContext, requestPayload, responsePayload}`,
 *   the original input under `requestPayload`, the error under `responsePayload`;
 * - an EventBridge rule's dead-letter message: the event itself as the body, the error in the
 *   message attributes `ERROR_CODE` and `ERROR_MESSAGE` (with `RULE_ARN`, `TARGET_ARN`);
 * - an EventBridge Scheduler dead-letter message: the schedule's input as the body, the error in
 *   `ERROR_CODE`, `ERROR_MESSAGE` (with `SCHEDULE_ARN`, `SCHEDULED_TIME`).
 *
 * Commands are sent again; a scheduled run is not (the next scheduled run does its work), its
 * message is only removed; anything unrecognised is left alone. Pure functions: no I/O.
 */
import { CANCEL_DETAIL_TYPE, DEFAULT_EVENT_SOURCE, SWEEP_DETAIL_TYPE } from './contract/names.ts';
import { boundedText, looksLikeQuery } from './contract/text.ts';
import { WITHHELD } from './zuora/redact.ts';

/** A message as received from SQS. */
export interface QueuedMessage {
  readonly body: string;
  /** String message attributes by name. */
  readonly attributes: Readonly<Record<string, string | undefined>>;
}

/** A command to send again. */
export interface Resendable {
  readonly source: string;
  readonly detailType: string;
  readonly detail: unknown;
}

/** What a kept message is, and what redriving it does. */
export interface RedrivePlan {
  readonly format: 'lambda-destination' | 'rule-dead-letter' | 'scheduler-dead-letter' | 'unknown';
  readonly action: 'resend' | 'remove' | 'keep';
  /** The command, for `resend`. */
  readonly command?: Resendable | undefined;
  readonly tenant?: string | undefined;
  /** Who wrote the message: the function, rule or schedule ARN it names (bounded). */
  readonly origin?: string | undefined;
  /** What went wrong the first time (bounded). */
  readonly error: string;
  /** What re-sending means, in words. */
  readonly note: string;
}

/** What the janitor knows of its own deployment, to tell its messages from anyone else's. */
export interface RedriveContext {
  /** The janitor's bus: a rule dead-letter message must come from one of its rules. */
  readonly eventBus?: string | undefined;
  /**
   * The queue's account: a message must name a function, rule or schedule of this account.
   * Null when the queue URL names none: then no message can show it is the janitor's.
   */
  readonly account?: string | null | undefined;
  /**
   * The deployment's event source: its rules deliver only commands from it, so a command from
   * another source sent again would reach no function, and be lost with its message.
   * @default DEFAULT_EVENT_SOURCE
   */
  readonly eventSource?: string | undefined;
}

/**
 * The longest command detail a redrive shows, and so sends: a valid command is far shorter (100
 * job ids and a 256-character reason), and one that cannot be shown whole is not sent.
 */
export const MAX_SHOWN_DETAIL = 8_000;

/** The account an ARN names (`arn:aws:lambda:<region>:<account>:…`). */
function accountOf(arn: string): string | undefined {
  return /^arn:aws[\w-]*:[\w-]+:[\w-]*:(\d{12}):/.exec(arn)?.[1];
}

const COMMANDS: ReadonlySet<string> = new Set([SWEEP_DETAIL_TYPE, CANCEL_DETAIL_TYPE]);
/** An event's `source`, as EventBridge accepts it. */
const EVENT_SOURCE = /^[\x21-\x7e]{1,256}$/;

/**
 * Reads one kept message. Anything that cannot show where it came from is kept, never sent:
 * the queue accepts messages from more than the janitor, and a re-sent command acts under the
 * identity of whoever runs the redrive.
 */
export function planRedrive(message: QueuedMessage, context: RedriveContext = {}): RedrivePlan {
  const plan = readMessage(message, context);
  const foreign = notOurs(plan, context);
  return foreign
    ? { ...unknown(plan.format, foreign), origin: plan.origin, error: plan.error }
    : plan;
}

/** Why a message cannot be shown to be this deployment's, to send again; undefined if it can. */
function notOurs(plan: RedrivePlan, context: RedriveContext): string | undefined {
  if (plan.origin !== undefined && context.account !== undefined) {
    if (context.account === null) return 'cannot be checked: the queue URL names no account';
    if (accountOf(plan.origin) !== context.account) {
      return `comes from another account than the queue's (${plan.origin})`;
    }
  }
  const source = context.eventSource ?? DEFAULT_EVENT_SOURCE;
  if (plan.command && plan.command.source !== source) {
    return `has source ${plan.command.source}, not the deployment's ${source}: no rule would deliver it`;
  }
  return undefined;
}

function readMessage(message: QueuedMessage, context: RedriveContext): RedrivePlan {
  const body = parseJson(message.body);
  const attributes = message.attributes;
  if (isRecord(body) && isRecord(body.requestContext) && 'requestPayload' in body) {
    const origin = text(body.requestContext.functionArn);
    if (!origin?.startsWith('arn:aws')) return unknown('lambda-destination', 'names no function');
    const response = isRecord(body.responsePayload) ? body.responsePayload : {};
    const errorType = text(response.errorType) ?? text(body.requestContext.condition) ?? 'error';
    const error = `${errorType}: ${text(response.errorMessage) ?? 'no message'}`;
    return fromInput('lambda-destination', body.requestPayload, error, errorType, origin);
  }
  const code = attributes.ERROR_CODE;
  const error = `${code ?? 'error'}: ${attributes.ERROR_MESSAGE ?? 'no message'}`;
  if (attributes.SCHEDULE_ARN !== undefined || attributes.SCHEDULED_TIME !== undefined) {
    const origin = text(attributes.SCHEDULE_ARN);
    if (!origin?.startsWith('arn:aws'))
      return unknown('scheduler-dead-letter', 'names no schedule');
    return fromInput('scheduler-dead-letter', body, error, code, origin);
  }
  if (attributes.RULE_ARN !== undefined || code !== undefined) {
    const origin = text(attributes.RULE_ARN);
    if (!origin?.startsWith('arn:aws')) return unknown('rule-dead-letter', 'names no rule');
    // A rule on a custom bus is `…:rule/<bus>/<rule>`: the janitor's rules are on its bus.
    if (context.eventBus !== undefined && !origin.includes(`:rule/${context.eventBus}/`)) {
      return unknown('rule-dead-letter', `comes from a rule of another bus (${origin})`);
    }
    return fromInput('rule-dead-letter', body, error, code, origin);
  }
  return unknown('unknown', 'is not a format the janitor writes');
}

function unknown(format: RedrivePlan['format'], why: string): RedrivePlan {
  return { format, action: 'keep', error: '', note: `${why}: left in the queue` };
}

function fromInput(
  format: RedrivePlan['format'],
  input: unknown,
  rawError: string,
  errorType: string | undefined,
  origin: string,
): RedrivePlan {
  // The error may not be the janitor's words (a record it did not write): no query text shown.
  const error = looksLikeQuery(rawError) ? WITHHELD : boundedText(rawError, 300);
  if (isRecord(input) && input.trigger === 'schedule') {
    return {
      format,
      action: 'remove',
      tenant: text(input.tenant),
      origin,
      error,
      note: 'a scheduled sweep: not sent again, the next scheduled run does its work; removed',
    };
  }
  if (
    isRecord(input) &&
    typeof input['detail-type'] === 'string' &&
    COMMANDS.has(input['detail-type']) &&
    typeof input.source === 'string' &&
    EVENT_SOURCE.test(input.source)
  ) {
    const detail = isRecord(input.detail) ? input.detail : {};
    if (JSON.stringify(input.detail ?? null).length > MAX_SHOWN_DETAIL) {
      // What --apply sends must be what was shown: too long to show is not sent.
      return {
        ...unknown(format, 'has a detail too long to show whole'),
        tenant: text(detail.tenant),
        origin,
        error,
      };
    }
    const refused = errorType === 'InvalidEventError';
    return {
      format,
      action: 'resend',
      command: { source: input.source, detailType: input['detail-type'], detail: input.detail },
      tenant: text(detail.tenant),
      origin,
      error,
      note: refused
        ? 'was refused: sent again it is refused again (and kept here again) unless its cause was fixed'
        : "sent again to the janitor's bus, then removed from the queue",
    };
  }
  return { ...unknown(format, 'is not a janitor command or schedule'), origin, error };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? boundedText(value, 200) : undefined;
}
