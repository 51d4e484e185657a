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
import { CANCEL_DETAIL_TYPE, SWEEP_DETAIL_TYPE } from './contract/names.ts';
import { boundedText } from './zuora/redact.ts';

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
  /** What went wrong the first time (bounded). */
  readonly error: string;
  /** What re-sending means, in words. */
  readonly note: string;
}

const COMMANDS: ReadonlySet<string> = new Set([SWEEP_DETAIL_TYPE, CANCEL_DETAIL_TYPE]);

/** Reads one kept message. */
export function planRedrive(message: QueuedMessage): RedrivePlan {
  const body = parseJson(message.body);
  if (isRecord(body) && isRecord(body.requestContext) && 'requestPayload' in body) {
    const response = isRecord(body.responsePayload) ? body.responsePayload : {};
    const errorType = text(response.errorType) ?? text(body.requestContext.condition) ?? 'error';
    const error = `${errorType}: ${text(response.errorMessage) ?? 'no message'}`;
    return fromInput('lambda-destination', body.requestPayload, error, errorType);
  }
  const code = message.attributes.ERROR_CODE;
  if (
    message.attributes.SCHEDULE_ARN !== undefined ||
    message.attributes.SCHEDULED_TIME !== undefined
  ) {
    const error = `${code ?? 'error'}: ${message.attributes.ERROR_MESSAGE ?? 'no message'}`;
    return fromInput('scheduler-dead-letter', body, error, code);
  }
  if (message.attributes.RULE_ARN !== undefined || code !== undefined) {
    const error = `${code ?? 'error'}: ${message.attributes.ERROR_MESSAGE ?? 'no message'}`;
    return fromInput('rule-dead-letter', body, error, code);
  }
  return {
    format: 'unknown',
    action: 'keep',
    error: '',
    note: 'not a format the janitor writes: left in the queue',
  };
}

function fromInput(
  format: RedrivePlan['format'],
  input: unknown,
  rawError: string,
  errorType: string | undefined,
): RedrivePlan {
  const error = boundedText(rawError, 300);
  if (isRecord(input) && input.trigger === 'schedule') {
    return {
      format,
      action: 'remove',
      tenant: text(input.tenant),
      error,
      note: 'a scheduled sweep: not sent again, the next scheduled run does its work; removed',
    };
  }
  if (
    isRecord(input) &&
    typeof input['detail-type'] === 'string' &&
    COMMANDS.has(input['detail-type'])
  ) {
    const detail = isRecord(input.detail) ? input.detail : {};
    const refused = errorType === 'InvalidEventError';
    return {
      format,
      action: 'resend',
      command: {
        source: text(input.source) ?? 'query-janitor',
        detailType: input['detail-type'],
        detail: input.detail,
      },
      tenant: text(detail.tenant),
      error,
      note: refused
        ? 'was refused: sent again it is refused again (and kept here again) unless its cause was fixed'
        : "sent again to the janitor's bus, then removed from the queue",
    };
  }
  return {
    format,
    action: 'keep',
    error,
    note: 'not a janitor command or schedule: left in the queue',
  };
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
