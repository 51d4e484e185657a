/**
 * Publishes a run's result events on the janitor's bus with `PutEvents`: at most 10 entries and
 * 256 KB per call (EventBridge's limits), and entries refused for a passing cause (throttling,
 * an internal failure) sent once more. Publishing reports what it could not send and never
 * throws: what the run cancelled stands whatever happens here.
 */
import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import type { ResultEvent } from '../janitor/results.ts';
import { boundedRequests } from './request-timeouts.ts';

/** What publishing achieved. */
export interface PublishOutcome {
  readonly sent: number;
  readonly failed: number;
  /** Why entries failed (error codes), bounded. */
  readonly errors: readonly string[];
}

const MAX_ENTRIES = 10;
const MAX_BYTES = 256 * 1024;
/** One `PutEvents` attempt gives up after this long; the SDK tries it again while time is left. */
const PUT_EVENTS_TIMEOUT_MS = 3_000;
const RETRYABLE = new Set(['ThrottlingException', 'InternalFailure', 'InternalException']);

/** EventBridge's size of an entry: its text fields in UTF-8 (see the PutEvents limits). */
function entrySize(entry: PutEventsRequestEntry): number {
  return ['Source', 'DetailType', 'Detail', 'EventBusName'].reduce(
    (total, key) =>
      total + Buffer.byteLength(String(entry[key as keyof PutEventsRequestEntry] ?? '')),
    0,
  );
}

/** A publisher for one bus and source; create it once per execution environment. */
export class ResultPublisher {
  readonly #client: EventBridgeClient;
  readonly #bus: string;
  readonly #source: string;

  constructor(options: { busName: string; source: string; client?: EventBridgeClient }) {
    this.#bus = options.busName;
    this.#source = options.source;
    this.#client =
      options.client ??
      new EventBridgeClient({ requestHandler: boundedRequests(PUT_EVENTS_TIMEOUT_MS) });
  }

  /** Sends `events`; never throws. Gives up on what is left at `deadline`. */
  async publish(events: readonly ResultEvent[], deadline: number): Promise<PublishOutcome> {
    const entries: PutEventsRequestEntry[] = events.map((event) => ({
      EventBusName: this.#bus,
      Source: this.#source,
      DetailType: event.detailType,
      Detail: JSON.stringify(event.detail),
    }));
    let sent = 0;
    let failed = 0;
    const errors: string[] = [];
    for (const batch of batches(entries)) {
      let pending = batch;
      for (
        let attempt = 1;
        attempt <= 2 && pending.length > 0 && Date.now() < deadline;
        attempt++
      ) {
        try {
          const output = await this.#client.send(new PutEventsCommand({ Entries: pending }), {
            abortSignal: AbortSignal.timeout(Math.max(1, Math.floor(deadline - Date.now()))),
          });
          const retry: PutEventsRequestEntry[] = [];
          pending.forEach((entry, index) => {
            const result = output.Entries?.[index];
            if (result?.EventId) {
              sent++;
            } else if (attempt === 1 && RETRYABLE.has(result?.ErrorCode ?? '')) {
              retry.push(entry);
            } else {
              failed++;
              errors.push(result?.ErrorCode ?? 'NoEventId');
            }
          });
          pending = retry;
        } catch (error) {
          // The SDK already retried throttling and 5xx: these entries are lost for this run.
          failed += pending.length;
          errors.push(error instanceof Error ? error.name : 'Error');
          pending = [];
        }
      }
      // Whatever the deadline left unsent.
      failed += pending.length;
    }
    return { sent, failed, errors: [...new Set(errors)].slice(0, 5) };
  }
}

/** Splits entries into calls of at most 10 entries and 256 KB. */
function* batches(entries: readonly PutEventsRequestEntry[]): Generator<PutEventsRequestEntry[]> {
  let batch: PutEventsRequestEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = entrySize(entry);
    if (batch.length === MAX_ENTRIES || (batch.length > 0 && bytes + size > MAX_BYTES)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(entry);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}
