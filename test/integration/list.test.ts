/**
 * `query-janitor list` below the CLI: every field of a listing entry, read through the real
 * client from the Zuora emulator, including what an unusual server sends for them.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.ts';
import { listJobs } from '../../lib/janitor/list.ts';
import { TokenCache } from '../../lib/zuora/auth.ts';
import { StaticCredentials } from '../../lib/zuora/credentials.ts';
import { defaultClient, ZuoraEmulator } from '../emulator/zuora.ts';
import { recordingLog } from '../support/zuora-client.ts';

let zuora: ZuoraEmulator;
const NOW = Date.parse('2026-03-14T12:00:00Z');

beforeAll(async () => {
  zuora = await ZuoraEmulator.start({ now: () => NOW });
});
beforeEach(() => zuora.reset());
afterAll(() => zuora.close());

function list(env: Record<string, string> = {}) {
  const config = loadConfig({ ZUORA_BASE_URL: zuora.url, ...env });
  const credentials = new StaticCredentials({
    clientId: defaultClient.clientId,
    clientSecret: defaultClient.clientSecret,
    baseUrl: zuora.url,
  });
  return listJobs(
    { config, credentials, tokens: new TokenCache(), log: recordingLog(), now: () => NOW },
    { trigger: 'cli', deadline: NOW + 60_000 },
  );
}

const sha12 = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12);

describe('listJobs', () => {
  it('shows each running job with its entity, status, age, owner, query hash and verdict', async () => {
    const owner = '8a8aa0b1-0000-4000-8000-0000000000b2';
    const oldQueued = zuora.addJob({
      ageMinutes: 90,
      entityId: 'e-1',
      createdBy: owner,
      query: 'select Id from Invoice',
    });
    const newQueued = zuora.addJob({ ageMinutes: 5, entityId: 'e-1' });
    const running = zuora.addJob({ ageMinutes: 200, entityId: 'e-2', queryStatus: 'in_progress' });
    zuora.addJob({ ageMinutes: 500, entityId: 'e-2', queryStatus: 'completed' });

    const listing = await list({
      ZUORA_ENTITY_IDS: 'e-1,e-2',
      JANITOR_STALE_AFTER: '1h',
      JANITOR_PROTECT_CREATED_BY: owner.toUpperCase(),
    });

    expect(listing.tenant).toBe('default');
    expect(listing.runId).toMatch(/^qj-[0-9a-f-]{36}$/);
    expect(listing.truncated).toBe(false);
    expect(listing.jobs).toEqual([
      {
        id: oldQueued.id,
        entityId: 'e-1',
        status: 'accepted',
        updatedOn: oldQueued.updatedOn,
        ageSeconds: 5_400,
        createdBy: owner,
        queryHash: sha12('select Id from Invoice'),
        stale: true,
        protected: 'createdBy is in protectCreatedBy',
      },
      {
        id: newQueued.id,
        entityId: 'e-1',
        status: 'accepted',
        updatedOn: newQueued.updatedOn,
        ageSeconds: 300,
        createdBy: defaultClient.userId,
        queryHash: sha12('select Id from Account'),
        stale: false,
        protected: null,
      },
      {
        id: running.id,
        entityId: 'e-2',
        status: 'in_progress',
        updatedOn: running.updatedOn,
        ageSeconds: 12_000,
        createdBy: defaultClient.userId,
        queryHash: sha12('select Id from Account'),
        stale: true,
        protected: null,
      },
    ]);
  });

  it('lists the default entity as null, oldest first within each status', async () => {
    const ages = [10, 40, 25];
    const jobs = ages.map((ageMinutes) => zuora.addJob({ ageMinutes }));

    const listing = await list();

    expect(listing.jobs.map((job) => [job.id, job.entityId, job.ageSeconds])).toEqual([
      [jobs[1]?.id, null, 2_400],
      [jobs[2]?.id, null, 1_500],
      [jobs[0]?.id, null, 600],
    ]);
  });

  it('bounds what the server sends and says why a job it cannot date is protected', async () => {
    const job = zuora.addJob({
      ageMinutes: 300,
      wire: {
        updatedOn: `Nov 28 ${'9'.repeat(100)}`,
        createdBy: `${'x'.repeat(200)}\u202e`,
        query: null,
      },
    });
    const missing = zuora.addJob({ wire: { updatedOn: undefined, createdBy: null } });

    const listing = await list();

    // Neither can be dated, so neither is older: find them by id.
    const unreadable = listing.jobs.find((entry) => entry.id === job.id);
    const undated = listing.jobs.find((entry) => entry.id === missing.id);
    expect(listing.jobs).toHaveLength(2);
    expect(unreadable).toMatchObject({
      id: job.id,
      ageSeconds: null,
      queryHash: null,
      stale: false,
      protected: expect.stringMatching(/^updatedOn "Nov 28 9+…" is not an ISO 8601 date-time/),
    });
    expect(unreadable?.updatedOn).toHaveLength(40);
    expect(unreadable?.createdBy).toBe(`${'x'.repeat(63)}…`);
    expect(undated).toMatchObject({
      id: missing.id,
      updatedOn: null,
      createdBy: null,
      ageSeconds: null,
      protected: 'updatedOn is missing: age unknown',
    });
  });

  it('says the listing is truncated when a page comes back full', async () => {
    // The first status listed: a later page that is not full must not hide it.
    for (let i = 0; i < 100; i++) zuora.addJob({ ageMinutes: 1 + i });
    zuora.addJob({ ageMinutes: 1, queryStatus: 'in_progress' });

    const listing = await list();

    expect(listing.truncated).toBe(true);
    expect(listing.jobs).toHaveLength(101);
  });
});
