/**
 * A realistic tenant for the demo and the benchmark: a mix of fresh and stale `accepted` and
 * `in_progress` jobs from several people, a protected service user's nightly exports, and
 * finished jobs that must never be touched. All run on Zuora Warehouse, whose capacity (15
 * running, 30 queued) holds them.
 */
import type { EmulatedJob, ZuoraEmulator } from './zuora.ts';
import { defaultClient } from './zuora.ts';

/** The service user whose jobs the demo protects. */
export const SERVICE_USER = 'c0ffee00-0000-4000-8000-00000000c0fe';
/** Analysts whose jobs get stuck. */
export const ANALYSTS = [
  defaultClient.userId,
  'a1b2c3d4-0000-4000-8000-00000000a002',
  'a1b2c3d4-0000-4000-8000-00000000a003',
];

const QUERIES = [
  'SELECT Id, AccountNumber, Balance FROM Account WHERE Balance > 0',
  "SELECT InvoiceNumber, Amount, DueDate FROM Invoice WHERE Status = 'Posted'",
  "SELECT * FROM Subscription WHERE Status = 'Active'",
  "SELECT PaymentNumber, Amount FROM Payment WHERE CreatedDate > '2026-01-01'",
  'SELECT Id FROM Usage WHERE Quantity > 1000',
];

/** What was seeded, by role, for the demo's narration and checks. */
export interface SeededTenant {
  staleEligible: EmulatedJob[];
  fresh: EmulatedJob[];
  protected: EmulatedJob[];
  finished: EmulatedJob[];
  /** Stale and eligible, but it completes on its own between the janitor's read and cancel. */
  finishesDuringRun: EmulatedJob;
}

/** Seeds 36 jobs (oldest first, so the list shows the newest first). */
export function seedDemoTenant(zuora: ZuoraEmulator): SeededTenant {
  const query = (i: number) => QUERIES[i % QUERIES.length] as string;
  const analyst = (i: number) => ANALYSTS[i % ANALYSTS.length] as string;
  const finished = Array.from({ length: 8 }, (_, i) =>
    zuora.addJob({
      ageMinutes: 2_000 - i * 60,
      queryStatus: (['completed', 'failed', 'cancelled'] as const)[i % 3],
      createdBy: analyst(i),
      query: query(i),
      sourceData: 'WAREHOUSE',
    }),
  );
  const protectedJobs = Array.from({ length: 4 }, (_, i) =>
    zuora.addJob({
      ageMinutes: 1_500 - i * 90,
      queryStatus: i % 2 ? 'in_progress' : 'accepted',
      createdBy: SERVICE_USER,
      query: `${query(i)} /* nightly-export */`,
      sourceData: 'WAREHOUSE',
    }),
  );
  const staleEligible = Array.from({ length: 12 }, (_, i) =>
    zuora.addJob({
      ageMinutes: 1_400 - i * 95,
      queryStatus: i % 3 ? 'accepted' : 'in_progress',
      createdBy: analyst(i),
      query: query(i),
      sourceData: 'WAREHOUSE',
    }),
  );
  const finishesDuringRun = zuora.addJob({
    ageMinutes: 200,
    queryStatus: 'in_progress',
    createdBy: analyst(1),
    query: query(3),
    sourceData: 'WAREHOUSE',
  });
  const fresh = Array.from({ length: 11 }, (_, i) =>
    zuora.addJob({
      ageMinutes: 100 - i * 9,
      queryStatus: i % 2 ? 'accepted' : 'in_progress',
      createdBy: analyst(i),
      query: query(i),
      sourceData: 'WAREHOUSE',
    }),
  );
  return { staleEligible, fresh, protected: protectedJobs, finished, finishesDuringRun };
}
