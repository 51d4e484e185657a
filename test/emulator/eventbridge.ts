/**
 * An in-process emulator of Amazon EventBridge's `PutEvents`, speaking the JSON 1.1 protocol the
 * real AWS SDK sends (`POST /`, `X-Amz-Target: AWSEvents.PutEvents`). Point the SDK at it with
 * `AWS_ENDPOINT_URL_EVENTBRIDGE`. It enforces the service's request limits (10 entries, 256 KB
 * of entries), fails malformed entries inside a 200 response the way the service does, records
 * every call and every accepted event, and can be scripted to fail whole calls or single entries.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { closeServer, createAwsJsonServer, listenOnLoopback } from './loopback.ts';

/** One entry of a `PutEvents` request, as the SDK puts it on the wire. */
export interface PutEventsWireEntry {
  Source?: string;
  DetailType?: string;
  /** JSON object text. */
  Detail?: string;
  /** A bus name or ARN; the service's `default` bus when absent. */
  EventBusName?: string;
  Resources?: string[];
  /** Epoch seconds (the SDK serializes a `Date` this way). */
  Time?: number;
  TraceHeader?: string;
}

/** An event the emulator accepted. */
export interface RecordedEvent {
  eventId: string;
  /** The bus's name, also when the entry named it by ARN. */
  eventBusName: string;
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
  resources: string[];
  time?: Date;
}

/** One call as received, whatever its outcome. */
export interface RecordedPutEventsCall {
  target: string;
  entries: PutEventsWireEntry[];
  /** Whether the request carried a SigV4 `Authorization` header. */
  signed: boolean;
  status: number;
  /** The error `__type` of a call that failed as a whole. */
  errorType?: string;
  /** `FailedEntryCount` of a 200 answer. */
  failedEntryCount?: number;
}

/** Chooses entries to fail; `index` is the entry's position in its call. */
export type EntryPredicate = (entry: PutEventsWireEntry, index: number) => boolean;

/** The service's limits on one `PutEvents` call. */
export const PUT_EVENTS_LIMITS = {
  maxEntries: 10,
  /** Bytes, summed over the entries as {@link putEventsEntrySize} measures them. */
  maxTotalEntrySize: 256 * 1024,
} as const;

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const TARGET = 'AWSEvents.PutEvents';

type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

/**
 * The size EventBridge charges an entry against the 256 KB limit, as its user guide defines it
 * ("Calculating PutEvents event entry size"): 14 bytes for `Time` when set, plus the UTF-8 bytes
 * of `Source`, `DetailType`, `Detail` and each of `Resources`. Keys and JSON punctuation are
 * not counted, so a request body can be somewhat larger than this and still be accepted.
 */
export function putEventsEntrySize(entry: PutEventsWireEntry): number {
  const bytes = (text: string | undefined) => (text ? Buffer.byteLength(text, 'utf8') : 0);
  let size = entry.Time === undefined ? 0 : 14;
  size += bytes(entry.Source) + bytes(entry.DetailType) + bytes(entry.Detail);
  for (const resource of entry.Resources ?? []) size += bytes(resource);
  return size;
}

/**
 * An emulated EventBridge on loopback.
 *
 * Retries, as observed with `@aws-sdk/client-eventbridge` 3.1169 and its default (standard) retry
 * strategy: a call failed with 500 (e.g. `InternalException`) or with `ThrottlingException` is
 * made 3 times in all before the SDK throws; the SDK waits a random 0–50 ms, then 0–100 ms
 * between attempts after a 5xx, but 0–1 s, then 0–2 s after a throttling error, so a test that
 * injects throttling should stub `Math.random` (or set the client's `retryStrategy`) to stay
 * fast. 400 errors such as `ValidationException` are not retried. Entries failed inside a 200
 * answer are never retried by the SDK: resending them is the caller's job.
 */
export class EventBridgeEmulator {
  /** Every call, in arrival order (SDK retries are separate calls). */
  readonly calls: RecordedPutEventsCall[] = [];
  /** Every accepted event, in arrival order. */
  readonly events: RecordedEvent[] = [];
  readonly #server: Server;
  readonly #failures: Array<{ status: number; type: string }> = [];
  #hanging = 0;
  readonly #entryRules: Array<{ predicate: EntryPredicate; errorCode: string; message: string }> =
    [];
  readonly #entryCounts: Array<{ left: number; errorCode: string; message: string }> = [];
  #url = '';

  private constructor() {
    this.#server = createAwsJsonServer((req, answer) => {
      const { target } = req;
      const record: RecordedPutEventsCall = {
        target,
        entries: [],
        signed: req.signed,
        status: 0,
      };
      this.calls.push(record);
      const fail = (status: number, type: string, message: string) => {
        record.status = status;
        record.errorType = type;
        answer(status, { __type: type, message }, type);
      };
      if (req.method !== 'POST' || target !== TARGET) {
        return fail(400, 'UnknownOperationException', `Unknown operation ${target}`);
      }
      let input: { Entries?: unknown };
      try {
        input = JSON.parse(req.body || '{}');
      } catch {
        return fail(400, 'SerializationException', 'Request body is not valid JSON');
      }
      const entries = Array.isArray(input.Entries) ? (input.Entries as PutEventsWireEntry[]) : [];
      record.entries = entries;
      if (this.#hanging > 0) {
        this.#hanging--;
        return;
      }
      const injected = this.#failures.shift();
      if (injected) return fail(injected.status, injected.type, `Injected ${injected.type}`);
      // The service rejects the whole call for these, before looking at any entry.
      if (entries.length < 1 || entries.length > PUT_EVENTS_LIMITS.maxEntries) {
        return fail(
          400,
          'ValidationException',
          `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${entries.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${PUT_EVENTS_LIMITS.maxEntries}`}`,
        );
      }
      const total = entries.reduce((sum, entry) => sum + putEventsEntrySize(entry), 0);
      if (total > PUT_EVENTS_LIMITS.maxTotalEntrySize) {
        return fail(
          400,
          'ValidationException',
          'Total size of the entries in the request is over the limit.',
        );
      }
      const results = entries.map((entry, index) => this.#accept(entry, index));
      const failedEntryCount = results.filter((result) => 'ErrorCode' in result).length;
      record.status = 200;
      record.failedEntryCount = failedEntryCount;
      answer(200, { FailedEntryCount: failedEntryCount, Entries: results });
    });
  }

  /** Starts the emulator on 127.0.0.1 with an ephemeral port. */
  static async start(): Promise<EventBridgeEmulator> {
    const emulator = new EventBridgeEmulator();
    emulator.#url = await listenOnLoopback(emulator.#server);
    return emulator;
  }

  /** The value for `AWS_ENDPOINT_URL_EVENTBRIDGE`. */
  get url(): string {
    return this.#url;
  }

  /** Forgets calls, events and every injected failure. */
  reset(): void {
    this.calls.length = 0;
    this.events.length = 0;
    this.#failures.length = 0;
    this.#hanging = 0;
    this.#entryRules.length = 0;
    this.#entryCounts.length = 0;
  }

  /**
   * Makes the next `times` calls fail as a whole with `status` and error `type`, e.g.
   * `(500, 'InternalException')` or `(400, 'ThrottlingException')`. Each SDK retry is a call, so
   * `times` below 3 lets the SDK's default retries succeed (see the class comment).
   */
  failNext(status: number, type: string, times = 1): void {
    for (let i = 0; i < times; i++) this.#failures.push({ status, type });
  }

  /** Makes the next `times` calls hang: the request is read and never answered. */
  hangNext(times = 1): void {
    this.#hanging += times;
  }

  /**
   * Makes single entries fail inside a 200 answer with `errorCode` (e.g. `ThrottlingException`,
   * `InternalFailure`), as the service does under partial failure. With a number, the next that
   * many otherwise valid entries fail, across calls; with a predicate, every matching entry fails
   * until {@link reset}. Invalid entries fail with their own error code first.
   */
  failEntries(
    selector: number | EntryPredicate,
    errorCode: string,
    message = `Injected ${errorCode}`,
  ): void {
    if (typeof selector === 'number') {
      this.#entryCounts.push({ left: selector, errorCode, message });
    } else {
      this.#entryRules.push({ predicate: selector, errorCode, message });
    }
  }

  /** Stops listening. */
  async close(): Promise<void> {
    await closeServer(this.#server);
  }

  #accept(entry: PutEventsWireEntry, index: number): EntryResult {
    const invalid = validateEntry(entry);
    if (invalid) return invalid;
    const rule = this.#entryRules.find((candidate) => candidate.predicate(entry, index));
    if (rule) return { ErrorCode: rule.errorCode, ErrorMessage: rule.message };
    const counted = this.#entryCounts.find((candidate) => candidate.left > 0);
    if (counted) {
      counted.left--;
      return { ErrorCode: counted.errorCode, ErrorMessage: counted.message };
    }
    const eventId = randomUUID();
    this.events.push({
      eventId,
      eventBusName: busName(entry.EventBusName),
      source: entry.Source as string,
      detailType: entry.DetailType as string,
      detail: JSON.parse(entry.Detail as string),
      resources: entry.Resources ?? [],
      ...(entry.Time === undefined ? {} : { time: new Date(entry.Time * 1000) }),
    });
    return { EventId: eventId };
  }
}

/** The service's per-entry checks, with its error codes and messages. */
function validateEntry(entry: PutEventsWireEntry): EntryResult | undefined {
  for (const field of ['Source', 'DetailType', 'Detail'] as const) {
    if (typeof entry[field] !== 'string' || entry[field] === '') {
      return {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
      };
    }
  }
  let detail: unknown;
  try {
    detail = JSON.parse(entry.Detail as string);
  } catch {
    detail = undefined;
  }
  // Only a JSON object is a valid detail: arrays, strings and numbers are rejected like bad JSON.
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  }
  return undefined;
}

/** A bus's name from its name or ARN (`arn:aws:events:…:event-bus/<name>`). */
function busName(nameOrArn: string | undefined): string {
  if (!nameOrArn) return 'default';
  const marker = ':event-bus/';
  const at = nameOrArn.indexOf(marker);
  return at === -1 ? nameOrArn : nameOrArn.slice(at + marker.length);
}

/** The ARN of a bus on the emulator's account, for tests that address buses by ARN. */
export function eventBusArn(name: string): string {
  return `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${name}`;
}
