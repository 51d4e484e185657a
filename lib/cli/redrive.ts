/**
 * `query-janitor redrive`: reads the failed-events queue, says what each kept message is and
 * what sending it again would do (see `lib/redrive.ts`), and with `--apply` does it: commands go
 * to the janitor's bus again and leave the queue once sent; scheduled runs just leave it.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { boundedRequests } from '../aws/request-timeouts.ts';
import { boundedText } from '../contract/text.ts';
import { describeError } from '../janitor/index.ts';
import { planRedrive, type RedrivePlan } from '../redrive.ts';
import type { Command } from './options.ts';

type RedriveCommand = Extract<Command, { kind: 'redrive' }>;

interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/**
 * How long one call may take, and how often it is tried: an endpoint that never answers must not
 * hold the command until Ctrl-C.
 */
const BOUNDED = { maxAttempts: 2, requestHandler: boundedRequests(5_000) };

/** Runs `redrive`; resolves to the exit code (1 when a send or delete failed). */
export async function redrive(command: RedriveCommand, io: Io): Promise<number> {
  const sqs = new SQSClient(BOUNDED);
  const { messages, error } = await receiveAll(sqs, command);
  if (error !== undefined) {
    io.stderr(`query-janitor: could not read the queue: ${awsProblem(error)}\n`);
    // What was read before the failure is shown again, not left hidden.
    await showAgain(sqs, command.queueUrl, messages, io);
    return 1;
  }
  if (messages.length >= command.max) {
    io.stderr(
      `query-janitor: --max ${command.max} reached: more messages may be waiting (raise --max, or redrive again)\n`,
    );
  }
  const plans = messages.map((message) => ({
    message,
    plan: planRedrive(
      {
        body: message.Body ?? '',
        attributes: Object.fromEntries(
          Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
            name,
            value.StringValue,
          ]),
        ),
      },
      {
        eventBus: command.eventBus,
        eventSource: command.eventSource,
        account: queueAccount(command.queueUrl) ?? null,
      },
    ),
  }));
  let failures = 0;
  const removed = new Set<Message>();
  const results: Array<RedrivePlan & { messageId: string | undefined; done?: string }> = [];
  const events = new EventBridgeClient(BOUNDED);
  for (const { message, plan } of plans) {
    const result: (typeof results)[number] = { ...plan, messageId: message.MessageId };
    results.push(result);
    if (!command.apply || plan.action === 'keep') continue;
    try {
      if (plan.action === 'resend' && plan.command) {
        const sent = await events.send(
          new PutEventsCommand({
            Entries: [
              {
                EventBusName: command.eventBus,
                Source: plan.command.source,
                DetailType: plan.command.detailType,
                Detail: JSON.stringify(plan.command.detail),
              },
            ],
          }),
        );
        const entry = sent.Entries?.[0];
        if ((sent.FailedEntryCount ?? 0) > 0 || !entry?.EventId) {
          throw new Error(`not accepted by the bus: ${entry?.ErrorCode ?? 'unknown error'}`);
        }
      }
      await sqs.send(
        new DeleteMessageCommand({
          QueueUrl: command.queueUrl,
          ReceiptHandle: message.ReceiptHandle,
        }),
      );
      result.done = plan.action === 'resend' ? 'sent and removed' : 'removed';
      removed.add(message);
    } catch (error) {
      failures++;
      result.done = `failed: ${awsProblem(error)}`;
    }
  }
  // What stays in the queue is shown again at once, to the next redrive and to the alarm.
  await showAgain(
    sqs,
    command.queueUrl,
    messages.filter((message) => !removed.has(message)),
    io,
  );
  io.stdout(command.json ? `${visibleJson(results, 2)}\n` : formatPlans(results, command.apply));
  return failures > 0 ? 1 : 0;
}

/** The account in a queue URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`), if any. */
function queueAccount(queueUrl: string): string | undefined {
  try {
    return new URL(queueUrl).pathname.split('/').find((segment) => /^\d{12}$/.test(segment));
  } catch {
    return undefined;
  }
}

/**
 * JSON as it is sent, made safe for a terminal without changing what it says: the characters
 * `JSON.stringify` leaves raw in strings (format characters such as bidi overrides and zero-width
 * spaces, line and paragraph separators, C1 controls) written as `\uXXXX` escapes, which JSON
 * reads as the same characters; it escapes the C0 controls itself. Nothing is cut or collapsed.
 */
function visibleJson(value: unknown, indent?: number): string {
  return JSON.stringify(value ?? null, null, indent).replace(
    /[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/gu,
    (c) =>
      c
        .split('')
        .map((unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`)
        .join(''),
  );
}

/**
 * How long a review hides each message it read: long enough to read the rest of the queue (a
 * message received visible would come back in the next batch, and hide the ones behind it).
 * What stays in the queue is then shown again at once: {@link showAgain}.
 */
const REVIEW_VISIBILITY_S = 30;
/** The same with --apply, which also sends and deletes each message while it is hidden. */
const APPLY_VISIBILITY_S = 60;

/**
 * Receives up to `max` messages, hidden while it reads the rest. Each receive waits a second
 * (long polling): SQS then asks all of its servers, so an empty answer means an empty queue, not
 * a sample that missed the rest.
 */
async function receiveAll(
  sqs: SQSClient,
  command: RedriveCommand,
): Promise<{ messages: Message[]; error?: unknown }> {
  const seen = new Map<string, Message>();
  try {
    await receiveInto(seen, sqs, command);
  } catch (error) {
    return { messages: [...seen.values()], error };
  }
  return { messages: [...seen.values()] };
}

async function receiveInto(
  seen: Map<string, Message>,
  sqs: SQSClient,
  command: RedriveCommand,
): Promise<void> {
  while (seen.size < command.max) {
    const batch = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: command.queueUrl,
        MaxNumberOfMessages: Math.min(10, command.max - seen.size),
        VisibilityTimeout: command.apply ? APPLY_VISIBILITY_S : REVIEW_VISIBILITY_S,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    const fresh = (batch.Messages ?? []).filter((m) => m.MessageId && !seen.has(m.MessageId));
    if (fresh.length === 0) break;
    for (const message of fresh) seen.set(message.MessageId as string, message);
  }
}

/**
 * Makes messages read but left in the queue visible again at once, so that the next redrive
 * (`--apply` after a review) reads them all; says how many stay hidden, and why.
 */
async function showAgain(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly Message[],
  io: Io,
): Promise<void> {
  let hidden = 0;
  let problem: string | undefined;
  for (let start = 0; start < messages.length; start += 10) {
    const batch = messages.slice(start, start + 10);
    try {
      const answer = await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      );
      hidden += answer.Failed?.length ?? 0;
      problem ??= answer.Failed?.[0]?.Code && boundedText(answer.Failed[0].Code, 60);
    } catch (error) {
      hidden += batch.length;
      problem ??= awsProblem(error);
    }
  }
  if (hidden > 0) {
    io.stderr(
      `query-janitor: ${hidden} message(s) stay hidden until their visibility timeout ends (at most ${APPLY_VISIBILITY_S} s): ${problem}\n`,
    );
  }
}

/** An AWS SDK error in one bounded line: its name and message, nothing else of it. */
function awsProblem(error: unknown): string {
  if (!(error instanceof Error)) return describeError(error);
  const message = boundedText(error.message, 200);
  return error.name === 'Error' ? message : `${boundedText(error.name, 60)}: ${message}`;
}

function formatPlans(
  results: ReadonlyArray<RedrivePlan & { messageId: string | undefined; done?: string }>,
  applied: boolean,
): string {
  if (results.length === 0) return 'The failed-events queue is empty.\n';
  const lines = results.map((result, index) => {
    const what = result.command ? `${result.command.detailType}` : result.format;
    const tenant = result.tenant ? ` for tenant ${result.tenant}` : '';
    // Everything a re-send would carry, so that what --apply does is what was shown.
    const sends = result.command
      ? `   sends: source ${result.command.source}, detail ${visibleJson(result.command.detail)}`
      : '';
    return [
      `${index + 1}. ${what}${tenant} (${result.format}, message ${result.messageId ?? '?'})`,
      result.origin ? `   from: ${result.origin}` : '',
      result.error ? `   failed with: ${result.error}` : '',
      sends,
      `   ${result.action}: ${result.note}`,
      result.done ? `   ${result.done}` : '',
    ]
      .filter(Boolean)
      .join('\n');
  });
  const footer = applied ? '' : '\nNothing was sent or removed: run again with --apply to do it.\n';
  return `${lines.join('\n')}\n${footer}`;
}
