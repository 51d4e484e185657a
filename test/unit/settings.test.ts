/**
 * One schema for janitor settings. A configuration file the schema accepts synthesizes (the real
 * construct) and starts (the functions' own loader, reading what the construct wrote into their
 * code); one it refuses fails both, with the same problems. And for one tenant configured by
 * environment variables: what the schema accepts starts with the same meaning, and what it
 * refuses, the environment refuses too.
 */
import { App, Stack } from 'aws-cdk-lib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { QueryJobJanitor } from '../../infra/query-job-janitor.ts';
import { ConfigError, loadConfig, loadFleetDocument } from '../../lib/config.ts';
import { type FleetConfig, parseFleet } from '../../lib/contract/fleet.ts';
import { writeFleetDocument } from '../../lib/contract/fleet-document.ts';
import { resolveTenant, type TenantSettings, tenantSchema } from '../../lib/contract/settings.ts';
import { settingsFromEnv, settingsToEnv } from '../../lib/contract/settings-env.ts';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:zuora-AbCdEf';

/** Synthesizes the construct (bundling skipped): its error, or what it wrote for the functions. */
function synth(config: unknown): { error?: Error; document?: string } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test');
  try {
    return {
      document: new QueryJobJanitor(stack, 'Janitor', { config: config as FleetConfig })
        .fleetDocument,
    };
  } catch (error) {
    return { error: error as Error };
  }
}

/** Starts the functions' configuration from a code-asset document. */
function start(document: string) {
  // Secrets the stack creates reach the functions as variables: give every one a value.
  const env = Object.fromEntries(
    Array.from({ length: 10 }, (_, i) => [`QUERY_JANITOR_SECRET_${i}`, SECRET_ARN]),
  );
  try {
    return { fleet: loadFleetDocument(document, env) };
  } catch (error) {
    return { error: error as ConfigError };
  }
}

/** Mostly values people write (valid or not), sometimes any string. */
const text = (values: string[]) =>
  fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...values) },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  );
const durations = text([
  '2h',
  '90m',
  '1d',
  '5m',
  '4m',
  '1m',
  'PT2H',
  'PT1.5H',
  'pt30m',
  'P',
  'PT',
  '2 h',
  '2 hours',
  '300s',
  '299s',
  ' 2h ',
  '-5m',
]);
const ids = fc.array(
  fc.oneof(
    { weight: 8, arbitrary: fc.uuid() },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'svc-user',
        'a,b',
        ' spaced ',
        '',
        'UPPER-Case',
        'x'.repeat(300),
        'e1\r\nX: 1',
      ),
    },
  ),
  { maxLength: 3 },
);
const wholeNumbers = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -1, max: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom(10_000, 10_001, 20_000) },
  { weight: 1, arbitrary: fc.double({ noNaN: true, min: 0, max: 20 }) },
);
const sometimes = <T>(value: fc.Arbitrary<T>) =>
  fc.option(value, { freq: 2, nil: undefined }) as fc.Arbitrary<T>;
const policy = {
  dryRun: sometimes(fc.boolean()),
  staleAfter: sometimes(durations),
  staleAfterAccepted: sometimes(durations),
  staleAfterInProgress: sometimes(durations),
  eventStaleAfterFloor: sometimes(durations),
  maxCancelsPerRun: sometimes(wholeNumbers),
  concurrency: sometimes(wholeNumbers),
  protectCreatedBy: sometimes(ids),
  protectQueryPattern: sometimes(
    text(['nightly', '^select', '(unclosed', '[a-', '(?<x>y)', 'a{2}', '']),
  ),
  onlyCreatedBy: sometimes(ids),
  schedule: sometimes(
    text([
      'rate(15 minutes)',
      'rate(1 hour)',
      'rate(1 hours)',
      'rate(0 minutes)',
      'cron(0/15 * * * ? *)',
      'cron(bad)',
      'every 5m',
    ]),
  ),
  enabled: sometimes(fc.boolean()),
  seesAllJobs: sometimes(fc.boolean()),
  capacityLimits: sometimes(
    fc.record(
      {
        LIVE: fc.record({ running: wholeNumbers, queued: wholeNumbers }),
        WAREHOUSE: fc.record({ running: wholeNumbers, queued: wholeNumbers }),
        SPARK: fc.constant({ running: 1, queued: 1 }),
      },
      { requiredKeys: [] },
    ),
  ),
  pressure: sometimes(
    fc.record(
      {
        headroom: wholeNumbers,
        staleAfter: durations,
        retriedStaleAfter: sometimes(durations),
        retriesStart: sometimes(wholeNumbers),
      },
      { requiredKeys: [] },
    ),
  ),
};
const tenant = fc.record(
  {
    name: sometimes(text(['prod-us', 'prod-eu', 'sandbox', 'Prod', 'a_b', '-x', 'x'.repeat(40)])),
    secret: sometimes(
      fc.oneof(
        text([
          'zuora/prod',
          SECRET_ARN,
          'arn:aws:secretsmanager:us-east-1:1:secret:x',
          'has space',
        ]),
        fc.record(
          {
            id: text(['zuora/eu', SECRET_ARN]),
            kmsKeyArn: sometimes(
              text(['arn:aws:kms:us-east-1:123456789012:key/abc-123', 'not-a-key']),
            ),
          },
          { requiredKeys: ['id'] },
        ),
      ),
    ),
    baseUrl: sometimes(
      text([
        'https://rest.zuora.com',
        'https://rest.eu.zuora.com/',
        'http://rest.zuora.com',
        'http://127.0.0.1:8080',
        'http://127.attacker.example',
        'rest.zuora.com',
      ]),
    ),
    entityIds: sometimes(ids),
    orgIds: sometimes(ids),
    timeZone: sometimes(
      text(['UTC', 'Europe/Paris', 'America/Los_Angeles', 'Mars/Olympus', 'utc+1']),
    ),
    ...policy,
  },
  { requiredKeys: [] },
);
const config = fc.record(
  {
    defaults: sometimes(fc.record(policy, { requiredKeys: [] })),
    commandSenders: sometimes(
      fc.array(
        text(['arn:aws:iam::123456789012:role/ops', 'arn:aws:iam::*:role/oncall-*', 'ops-role']),
        { maxLength: 2 },
      ),
    ),
    tenants: fc.array(tenant, { minLength: 0, maxLength: 3 }),
    surprise: sometimes(fc.constant(true)),
  },
  { requiredKeys: ['tenants'] },
);

/** Files that are all valid, so that the accepting path is exercised as much as the refusing one. */
const validPolicy = {
  dryRun: sometimes(fc.boolean()),
  staleAfter: sometimes(fc.constantFrom('2h', '90m', 'PT1.5H', '2 h', '1d')),
  staleAfterAccepted: sometimes(fc.constantFrom('3h', 'PT30M', '5m')),
  maxCancelsPerRun: sometimes(fc.integer({ min: 1, max: 10_000 })),
  concurrency: sometimes(fc.integer({ min: 1, max: 10 })),
  protectCreatedBy: sometimes(fc.array(fc.uuid(), { maxLength: 2 })),
  protectQueryPattern: sometimes(fc.constantFrom('nightly', '^select', '(x)\\1')),
  schedule: sometimes(fc.constantFrom('rate(15 minutes)', 'rate(1 hour)', 'cron(0/15 * * * ? *)')),
  enabled: sometimes(fc.boolean()),
  pressure: sometimes(
    fc.record(
      {
        headroom: fc.integer({ min: 1, max: 4 }),
        staleAfter: fc.constantFrom('30m', '45m'),
        retriedStaleAfter: sometimes(fc.constantFrom('10m', '30m')),
      },
      { requiredKeys: ['headroom', 'staleAfter'] },
    ),
  ),
};
const validConfig = fc
  .uniqueArray(fc.constantFrom('prod-us', 'prod-eu', 'sandbox', 'client-a'), {
    minLength: 1,
    maxLength: 3,
  })
  .chain((names) =>
    fc.record(
      {
        defaults: sometimes(fc.record(validPolicy, { requiredKeys: [] })),
        tenants: fc.tuple(
          ...names.map((name) =>
            fc.record(
              {
                name: fc.constant(name),
                secret: sometimes(fc.constantFrom('zuora/prod', SECRET_ARN)),
                baseUrl: sometimes(
                  fc.constantFrom('https://rest.zuora.com', 'http://127.0.0.1:8080'),
                ),
                timeZone: sometimes(fc.constantFrom('UTC', 'Europe/Paris')),
                ...validPolicy,
              },
              { requiredKeys: ['name'] },
            ),
          ),
        ),
      },
      { requiredKeys: ['tenants'] },
    ),
  );
const anyConfig = fc.oneof(validConfig, config);

describe('the configuration file, at synth and at start-up', () => {
  it('is accepted by both or refused by both, with the same problems', () => {
    const verdicts = { accepted: 0, refused: 0 };
    fc.assert(
      fc.property(anyConfig, (file) => {
        const synthesized = synth(file);
        if (synthesized.document !== undefined) {
          verdicts.accepted++;
          const started = start(synthesized.document);
          expect(started.error).toBeUndefined();
          // The same tenants, with the same settings, judged as the construct judges its props:
          // as JSON, where a key set to undefined is absent.
          const expected = parseFleet(JSON.parse(JSON.stringify(file)));
          expect(expected.ok).toBe(true);
          if (expected.ok) {
            expect([...(started.fleet?.tenants.keys() ?? [])]).toEqual(
              expected.fleet.tenants.map((t) => t.name),
            );
          }
          return;
        }
        verdicts.refused++;
        // The functions load exactly what they are given; give them the refused file.
        const started = start(writeFleetDocument(file, {}));
        expect(started.error).toBeInstanceOf(ConfigError);
        expect(synthesized.error?.message).toBe(
          `QueryJobJanitor: ${started.error?.problems.join('; ')}`,
        );
      }),
      { numRuns: 50 },
    );
    // Both verdicts were exercised, not only the refusals.
    expect(verdicts.accepted).toBeGreaterThan(5);
    expect(verdicts.refused).toBeGreaterThan(5);
  });

  it('accepts the documented example', () => {
    const example = {
      $schema: './query-janitor.schema.json',
      defaults: { dryRun: true, staleAfter: '2h', schedule: 'rate(15 minutes)' },
      commandSenders: ['arn:aws:iam::123456789012:role/ops'],
      tenants: [
        {
          name: 'prod-us',
          secret: 'zuora/prod-us',
          baseUrl: 'https://rest.na.zuora.com',
          dryRun: false,
          protectCreatedBy: ['514f3ea1-6716-4f44-b6e0-9a8f0cf44bd2'],
        },
        {
          name: 'sandbox',
          enabled: false,
          secret: {
            id: SECRET_ARN,
            kmsKeyArn:
              'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
          },
        },
      ],
    };

    const result = parseFleet(example);

    expect(result.ok).toBe(true);
    expect(result.ok && result.fleet.tenants.map((t) => [t.name, t.dryRun, t.enabled])).toEqual([
      ['prod-us', false, true],
      ['sandbox', true, false],
    ]);
  });
});

/** True when the environment can carry `value` unchanged (no commas in list items, …). */
function representable(value: TenantSettings): boolean {
  return JSON.stringify(settingsFromEnv(settingsToEnv(value))) === JSON.stringify(value);
}

describe('a secret given by ARN', () => {
  it('may be full or partial (without its 6-character suffix), and nothing else', () => {
    const problemsOf = (secret: string) => {
      const result = parseFleet({ tenants: [{ name: 'prod', secret }] });
      return result.ok ? [] : result.problems;
    };
    expect(problemsOf(SECRET_ARN)).toEqual([]);
    expect(problemsOf('zuora/prod')).toEqual([]);
    expect(
      problemsOf('arn:aws:secretsmanager:us-east-1:123456789012:secret:zuora/prod-us'),
    ).toEqual([]);
    for (const bad of ['arn:aws:s3:::zuora', 'arn:aws:secretsmanager:us-east-1:1:secret:x']) {
      expect(problemsOf(bad)).toEqual([
        'tenants[0].secret must be a Secrets Manager secret name or ARN',
      ]);
    }
  });
});

describe('the event source', () => {
  it('may not be one EventBridge keeps for AWS services', () => {
    expect(parseFleet({ eventSource: 'acme.janitor', tenants: [{ name: 'prod' }] }).ok).toBe(true);
    expect(parseFleet({ eventSource: 'AWS.janitor', tenants: [{ name: 'prod' }] }).ok).toBe(false);
    expect(parseFleet({ eventSource: 'aws.janitor', tenants: [{ name: 'prod' }] })).toEqual({
      ok: false,
      problems: [
        'eventSource must not start with "aws.": EventBridge keeps those sources for AWS services',
      ],
    });
  });
});

describe('an empty onlyCreatedBy', () => {
  it('is refused, in the file and as a variable: it would read as everyone', () => {
    const file = parseFleet({
      defaults: { onlyCreatedBy: ['c0ffee00-0000-4000-8000-00000000c0fe'] },
      tenants: [{ name: 'prod', onlyCreatedBy: [] }],
    });
    expect(file).toEqual({
      ok: false,
      problems: [
        'tenants[0].onlyCreatedBy must name at least one user id, or be left out for everyone',
      ],
    });
    expect(parseFleet({ defaults: { onlyCreatedBy: [] }, tenants: [{ name: 'prod' }] })).toEqual({
      ok: false,
      problems: [
        'defaults.onlyCreatedBy must name at least one user id, or be left out for everyone',
      ],
    });
    expect(() => loadConfig({ ZUORA_SECRET_ID: 'zuora', JANITOR_ONLY_CREATED_BY: ' , ' })).toThrow(
      'JANITOR_ONLY_CREATED_BY must name at least one user id, or be left out for everyone',
    );
  });
});

describe('command senders', () => {
  const problemsOf = (commandSenders: string[]) => {
    const result = parseFleet({ commandSenders, tenants: [{ name: 'prod' }] });
    return result.ok ? [] : result.problems;
  };

  it('takes role and user ARNs of one account, wildcards in the name included', () => {
    expect(
      problemsOf([
        'arn:aws:iam::123456789012:role/ops',
        'arn:aws:iam::123456789012:role/oncall-*',
        'arn:aws-us-gov:iam::123456789012:user/alice',
        'arn:aws:iam::123456789012:*',
      ]),
    ).toEqual([]);
  });

  it('refuses a wildcard account: any AWS account could make a role of that name', () => {
    const anyAccount = [
      'commandSenders[0] must name one account (12 digits): a wildcard there would let any AWS account send commands',
    ];
    expect(problemsOf(['arn:aws:iam::*:role/ops'])).toEqual(anyAccount);
    expect(problemsOf(['arn:aws:iam::*:*'])).toEqual(anyAccount);
    expect(problemsOf(['arn:aws:iam::12345678901*:role/ops'])).toEqual(anyAccount);
    expect(problemsOf(['arn:aws:iam:::role/ops'])).toEqual(anyAccount);
    expect(problemsOf(['arn:aws:iam::12345678901?:role/ops'])).toEqual(anyAccount);
    expect(problemsOf(['arn:aws:iam::1234567890123:role/ops'])).toEqual(anyAccount);
  });

  it('takes a federated user, whose principal ARN is in sts', () => {
    expect(problemsOf(['arn:aws:sts::123456789012:federated-user/oncall'])).toEqual([]);
  });

  it('refuses an assumed-role session, which the bus policy would never match', () => {
    expect(problemsOf(['arn:aws:sts::123456789012:assumed-role/ops/alice'])).toEqual([
      'commandSenders[0] must be the IAM role ARN (arn:aws:iam::<account>:role/<name>), not an assumed-role session',
    ]);
  });

  it('refuses what is not an IAM ARN', () => {
    expect(problemsOf(['ops-role', 'arn:aws:s3:::bucket'])).toEqual([
      'commandSenders[0] must be an IAM principal ARN (wildcards allowed)',
      'commandSenders[1] must be an IAM principal ARN (wildcards allowed)',
    ]);
  });
});

describe('the pressure rule in the file', () => {
  const problemsOf = (tenant: Record<string, unknown>) => {
    const result = parseFleet({ tenants: [{ name: 'prod', ...tenant }] });
    return result.ok ? [] : result.problems;
  };

  it('resolves with defaults: the retried threshold is the pressure one, retries start at 3', () => {
    const result = parseFleet({
      tenants: [{ name: 'prod', pressure: { headroom: 2, staleAfter: '30m' } }],
    });
    expect(result.ok && result.fleet.tenants[0]?.pressure).toEqual({
      headroom: 2,
      staleAfterMs: 30 * 60_000,
      retriedStaleAfterMs: 30 * 60_000,
      retriesStart: 3,
    });
    expect(result.ok && result.fleet.tenants[0]?.capacityLimits).toEqual({
      LIVE: { running: 5, queued: 10 },
      WAREHOUSE: { running: 15, queued: 30 },
    });
  });

  it('is refused where it could never act or would act as the normal rule does', () => {
    const pressure = { headroom: 2, staleAfter: '30m' };
    expect(problemsOf({ pressure, entityIds: ['e1'] })).toEqual([
      'tenants[0].pressure needs the whole tenant in view: a sweep restricted to entityIds cannot see its capacity',
    ]);
    expect(problemsOf({ pressure, seesAllJobs: false })).toEqual([
      'tenants[0].pressure needs seesAllJobs: a client that sees only its own jobs cannot see the capacity',
    ]);
    expect(problemsOf({ pressure: { ...pressure, staleAfter: '2h' } })).toEqual([
      'tenants[0].pressure.staleAfter must be shorter than the stale-after thresholds',
    ]);
    expect(problemsOf({ pressure: { ...pressure, retriedStaleAfter: '45m' } })).toEqual([
      'tenants[0].pressure.retriedStaleAfter must not be longer than pressure.staleAfter',
    ]);
    expect(problemsOf({ pressure: { ...pressure, headroom: 10 } })).toEqual([
      'tenants[0].pressure.headroom must be less than the LIVE queue limit (10)',
    ]);
    expect(problemsOf({ pressure: { ...pressure, staleAfter: '4m' } })).toEqual([
      'tenants[0].pressure.staleAfter must be at least 5m',
    ]);
    expect(problemsOf({ pressure: { headroom: 2 } })).toHaveLength(1);
    expect(problemsOf({ capacityLimits: { LIVE: { running: 5 } } })).toHaveLength(1);
  });
});

describe('one tenant from environment variables', () => {
  const envTenant = fc
    .record(
      {
        baseUrl: tenant.map((t) => t.baseUrl),
        entityIds: sometimes(ids),
        ...policy,
      },
      { requiredKeys: [] },
    )
    // Keys only the file carries.
    .map(
      ({
        schedule: _schedule,
        enabled: _enabled,
        seesAllJobs: _seesAllJobs,
        capacityLimits: _capacityLimits,
        pressure: _pressure,
        ...rest
      }) => rest as TenantSettings,
    );

  it('starts with what the schema accepts, the same meaning; refuses what it refuses', () => {
    let accepted = 0;
    fc.assert(
      fc.property(envTenant, (value) => {
        const schema = z.safeParse(tenantSchema(), { ...value, secret: SECRET_ARN });
        let started: ReturnType<typeof loadConfig> | undefined;
        let error: unknown;
        try {
          started = loadConfig(settingsToEnv({ ...value, secret: SECRET_ARN }), {
            requireSecretId: true,
          });
        } catch (caught) {
          error = caught;
        }
        if (schema.success) {
          accepted++;
          expect(error).toBeUndefined();
          const { protectQueryPattern, ...expected } = resolveTenant({
            ...schema.data,
            name: 'default',
          });
          expect(started).toMatchObject(expected);
          expect(started?.protectQueryPattern?.source).toBe(protectQueryPattern);
        } else if (representable(value)) {
          expect(error).toBeInstanceOf(ConfigError);
        }
      }),
      { numRuns: 3_000 },
    );
    expect(accepted).toBeGreaterThan(300);
  });

  it('names the same problem the same way: by key in the file, by variable in the environment', () => {
    const file = synth({ tenants: [{ staleAfter: '4m', concurrency: 11 }] });
    let env: ConfigError | undefined;
    try {
      loadConfig({
        ZUORA_SECRET_ID: SECRET_ARN,
        JANITOR_STALE_AFTER: '4m',
        JANITOR_CONCURRENCY: '11',
      });
    } catch (error) {
      env = error as ConfigError;
    }

    expect(file.error?.message).toBe(
      'QueryJobJanitor: tenants[0].staleAfter must be at least 5m; tenants[0].concurrency must be a whole number from 1 to 10',
    );
    expect(env?.problems).toEqual([
      'JANITOR_STALE_AFTER must be at least 5m',
      'JANITOR_CONCURRENCY must be a whole number from 1 to 10',
    ]);
  });
});

describe('a blank protect pattern', () => {
  // Found by the property above: the environment used to drop a blank pattern (no protection)
  // while the file took it as a pattern (every query with a space protected).
  it.each([' ', '  \t'])('%j is refused by the file and by the environment alike', (pattern) => {
    expect(synth({ tenants: [{ protectQueryPattern: pattern }] }).error?.message).toBe(
      'QueryJobJanitor: tenants[0].protectQueryPattern must not be blank',
    );
    expect(() =>
      loadConfig({ ZUORA_SECRET_ID: SECRET_ARN, JANITOR_PROTECT_QUERY_PATTERN: pattern }),
    ).toThrow('JANITOR_PROTECT_QUERY_PATTERN must not be blank');
  });

  it('is unset when the variable is empty, and kept as written otherwise', () => {
    expect(
      loadConfig({ ZUORA_SECRET_ID: SECRET_ARN, JANITOR_PROTECT_QUERY_PATTERN: '' })
        .protectQueryPattern,
    ).toBeUndefined();
    expect(
      loadConfig({ ZUORA_SECRET_ID: SECRET_ARN, JANITOR_PROTECT_QUERY_PATTERN: ' nightly ' })
        .protectQueryPattern?.source,
    ).toBe(' nightly ');
  });
});

describe('verdicts that changed when validation became one schema', () => {
  // Before, the construct had its own checks: these synthesized and then failed every cold start.
  it.each([
    ['staleAfter', '1m', 'staleAfter must be at least 5m'],
    ['staleAfter', 'P', 'staleAfter must be a duration such as 90m, 2h, 1d or PT2H'],
    ['maxCancelsPerRun', 20_000, 'maxCancelsPerRun must be a whole number from 1 to 10000'],
  ] as const)('%s %j is now refused at synth', (key, value, message) => {
    expect(synth({ tenants: [{ [key]: value }] }).error?.message).toBe(
      `QueryJobJanitor: tenants[0].${message}`,
    );
  });

  // Before, these worked at run time but failed synth.
  it.each([
    ['PT1.5H', 5_400_000],
    ['2 h', 7_200_000],
  ])('staleAfter %j now synthesizes and starts', (value, ms) => {
    const synthesized = synth({ tenants: [{ staleAfter: value }] });

    expect(synthesized.error).toBeUndefined();
    expect(
      start(synthesized.document as string).fleet?.tenants.get('default')?.staleAfterMs,
    ).toEqual({
      accepted: ms,
      in_progress: ms,
    });
  });
});
