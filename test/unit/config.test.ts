import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadFleet } from '../../lib/config.ts';

const HOUR = 3_600_000;

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});

    expect(config).toMatchObject({
      dryRun: true,
      staleAfterMs: { accepted: 2 * HOUR, in_progress: 2 * HOUR },
      maxCancelsPerRun: 25,
      concurrency: 4,
      entityIds: [],
      orgIds: [],
      protectCreatedBy: [],
      onlyCreatedBy: [],
      protectQueryPattern: undefined,
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      ZUORA_SECRET_ID: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbCdEf',
      ZUORA_BASE_URL: 'https://rest.eu.zuora.com',
      ZUORA_ENTITY_IDS: ' e1 , e2,,e1 ',
      ZUORA_ORG_IDS: 'o1',
      JANITOR_DRY_RUN: 'FALSE',
      JANITOR_STALE_AFTER: '90m',
      JANITOR_STALE_AFTER_IN_PROGRESS: 'PT3H',
      JANITOR_MAX_CANCELS_PER_RUN: '7',
      JANITOR_CONCURRENCY: '10',
      JANITOR_PROTECT_CREATED_BY: 'u1,u2',
      JANITOR_PROTECT_QUERY_PATTERN: '^select .* from Invoice',
      JANITOR_ONLY_CREATED_BY: 'u3',
    });

    expect(config).toMatchObject({
      name: 'default',
      secret: { id: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbCdEf' },
      entityIds: ['e1', 'e2'],
      orgIds: ['o1'],
      dryRun: false,
      staleAfterMs: { accepted: 90 * 60_000, in_progress: 3 * HOUR },
      maxCancelsPerRun: 7,
      concurrency: 10,
      protectCreatedBy: ['u1', 'u2'],
      onlyCreatedBy: ['u3'],
      timeZone: 'UTC',
    });
    expect(config.protectQueryPattern?.test('select Id from Invoice')).toBe(true);
  });

  it('names every invalid variable in one error', () => {
    const error = (() => {
      try {
        loadConfig(
          {
            ZUORA_BASE_URL: 'http://rest.zuora.com',
            JANITOR_DRY_RUN: 'maybe',
            JANITOR_STALE_AFTER: '4m',
            JANITOR_STALE_AFTER_ACCEPTED: 'two hours',
            JANITOR_MAX_CANCELS_PER_RUN: '0',
            JANITOR_CONCURRENCY: '11',
            JANITOR_PROTECT_QUERY_PATTERN: '(unclosed',
          },
          { requireSecretId: true },
        );
      } catch (e) {
        return e;
      }
    })();

    expect(error).toBeInstanceOf(ConfigError);
    const { problems } = error as ConfigError;
    expect(problems.map((problem) => problem.split(/[ :]/)[0])).toEqual([
      'ZUORA_SECRET_ID',
      'ZUORA_BASE_URL',
      'JANITOR_DRY_RUN',
      'JANITOR_STALE_AFTER',
      'JANITOR_STALE_AFTER_ACCEPTED',
      'JANITOR_MAX_CANCELS_PER_RUN',
      'JANITOR_CONCURRENCY',
      'JANITOR_PROTECT_QUERY_PATTERN',
    ]);
    expect((error as Error).message).toMatch(/^Invalid configuration: /);
  });
});

describe('loadFleet', () => {
  it('names a few unknown keys, each bounded and scrubbed, and counts the rest', () => {
    const hostileKey = `dryrun\n\u202e${'x'.repeat(10_000)}`;
    const tenant = Object.fromEntries([
      ['name', 'prod'],
      [hostileKey, true],
      ...Array.from({ length: 6 }, (_, i) => [`extra${i}`, i]),
    ]);

    const error = (() => {
      try {
        loadFleet({ tenants: [tenant] });
      } catch (thrown) {
        return thrown as ConfigError;
      }
    })();

    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.problems).toEqual([
      `tenants[0].dryrun ${'x'.repeat(56)}… is not a known key`,
      'tenants[0].extra0 is not a known key',
      'tenants[0].extra1 is not a known key',
      'tenants[0].extra2 is not a known key',
      'tenants[0].extra3 is not a known key',
      '2 more unknown keys',
    ]);
  });
});
