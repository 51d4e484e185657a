/**
 * A lease per tenant in DynamoDB, so that two sweeps of one tenant never overlap (scheduled, on
 * demand, or one still running past its period) while tenants run in parallel. An AWS-managed
 * mechanism rather than a lock in memory: each invocation may run in a different execution
 * environment. The condition checks the lease's expiry itself, because DynamoDB's TTL deletes
 * expired items only eventually; TTL merely tidies up.
 *
 * Cost: two on-demand writes per run (acquire, release), about $0.0000013 per run.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { boundedRequests } from './request-timeouts.ts';

/**
 * The longest a lease can honestly last: a run ends within Lambda's 15 minutes, and its lease 30 s
 * after (see the functions), with five minutes more for clocks that disagree. A lease that ends
 * later was not written by a run (a hand-made item, a writer whose clock is far ahead): left to
 * stand, it would block its tenant until then, so it is taken over like an expired one.
 */
export const MAX_LEASE_MS = (15 * 60 + 30 + 5 * 60) * 1_000;

/** A tenant's run lease. */
export class TenantLease {
  readonly #table: string;
  readonly #client: DynamoDBClient;
  readonly #now: () => number;

  constructor(options: { tableName: string; client?: DynamoDBClient; now?: () => number }) {
    this.#table = options.tableName;
    // The run bounds each call more tightly with an abort signal; this bounds a call without one.
    this.#client = options.client ?? new DynamoDBClient({ requestHandler: boundedRequests(3_000) });
    this.#now = options.now ?? Date.now;
  }

  /**
   * Takes the lease of `tenant` for `owner` (a run id) until `until` (epoch milliseconds), if no
   * one holds an unexpired one (or one ending past {@link MAX_LEASE_MS} from now, or with no
   * numeric end, which no run wrote). Resolves true when granted.
   */
  async acquire(
    tenant: string,
    owner: string,
    until: number,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const now = this.#now();
    // A caller's mistake (no run holds a lease this long): the run would log only its class.
    if (until > now + MAX_LEASE_MS) {
      throw new RangeError(`A lease cannot end more than ${MAX_LEASE_MS / 60_000} minutes ahead`);
    }
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: {
            tenant: { S: tenant },
            owner: { S: owner },
            until: { N: String(until) },
            // TTL (seconds) only tidies up; the condition below is what enforces expiry.
            ttl: { N: String(Math.ceil(until / 1000) + 3_600) },
          },
          // Taken over too: an item with no numeric `until` (made by hand), which never expires.
          ConditionExpression:
            'attribute_not_exists(tenant) OR NOT attribute_type(#until, :number) OR #until < :now OR #until > :latest',
          ExpressionAttributeNames: { '#until': 'until' },
          ExpressionAttributeValues: {
            ':number': { S: 'N' },
            ':now': { N: String(now) },
            ':latest': { N: String(now + MAX_LEASE_MS) },
          },
        }),
        { abortSignal: signal },
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Gives the lease back, if `owner` still holds it (an expired one may have been taken).
   * `signal` bounds the wait more tightly than the client's request timeout.
   */
  async release(tenant: string, owner: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.#client.send(
        new DeleteItemCommand({
          TableName: this.#table,
          Key: { tenant: { S: tenant } },
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': { S: owner } },
        }),
        { abortSignal: signal },
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
