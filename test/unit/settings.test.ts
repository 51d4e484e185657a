/**
 * One schema for janitor settings: what the construct accepts at synth, the functions accept at
 * start-up, with the same meaning; and what it refuses, neither accepts.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QueryJobJanitor, type QueryJobJanitorProps } from '../../infra/query-job-janitor.ts';
import { ConfigError, loadConfig } from '../../lib/config.ts';
import { type JanitorSettings, parseSettings } from '../../lib/contract/settings.ts';
import { settingsFromEnv, settingsToEnv } from '../../lib/contract/settings-env.ts';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:zuora-AbCdEf';

/** Synthesizes the construct with `props`: its error, or the sweep function's environment. */
function synth(props: QueryJobJanitorProps): { error?: Error; env?: Record<string, string> } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test');
  const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Secret', SECRET_ARN);
  try {
    new QueryJobJanitor(stack, 'Janitor', { ...props, secret });
  } catch (error) {
    return { error: error as Error };
  }
  const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function');
  const sweep = Object.entries(functions).find(([id]) => id.includes('Sweep'))?.[1];
  return { env: sweep?.Properties.Environment.Variables };
}

/** Starts the runtime's configuration from `env`: its error, or the configuration. */
function start(env: Record<string, string>) {
  try {
    return { config: loadConfig(env, { requireSecretId: true }) };
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
  '1.5h',
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
      arbitrary: fc.constantFrom('svc-user', 'a,b', ' spaced ', '', 'UPPER-Case', 'x'.repeat(300)),
    },
  ),
  { maxLength: 3 },
);
const wholeNumbers = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -1, max: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom(10_000, 10_001, 20_000) },
  { weight: 1, arbitrary: fc.double({ noNaN: true, min: 0, max: 20 }) },
);
/** Each key present about a third of the time, so that many combinations are valid. */
const sometimes = <T>(value: fc.Arbitrary<T>) =>
  fc.option(value, { freq: 2, nil: undefined }) as fc.Arbitrary<T>;
const settings: fc.Arbitrary<JanitorSettings> = fc.record(
  {
    baseUrl: sometimes(
      text([
        'https://rest.zuora.com',
        'https://rest.eu.zuora.com/',
        'http://rest.zuora.com',
        'http://127.0.0.1:8080',
        'http://localhost:1',
        'rest.zuora.com',
        'https://u:p@rest.zuora.com',
        'https://rest.zuora.com?x=1',
      ]),
    ),
    entityIds: sometimes(ids),
    orgIds: sometimes(ids),
    dryRun: sometimes(fc.boolean()),
    staleAfter: sometimes(durations),
    staleAfterAccepted: sometimes(durations),
    staleAfterInProgress: sometimes(durations),
    maxCancelsPerRun: sometimes(wholeNumbers),
    concurrency: sometimes(wholeNumbers),
    protectCreatedBy: sometimes(ids),
    protectQueryPattern: sometimes(
      text(['nightly', '^select', '(unclosed', '[a-', '(?<x>y)', 'a{2}', '']),
    ),
    onlyCreatedBy: sometimes(ids),
  },
  { requiredKeys: [] },
);

/** Settings that are all valid, so that the accepting path is exercised as much as the refusing one. */
const validSettings: fc.Arbitrary<JanitorSettings> = fc.record(
  {
    baseUrl: fc.constantFrom(
      'https://rest.zuora.com',
      'https://rest.eu.zuora.com/',
      'http://127.0.0.1:8080',
    ),
    entityIds: fc.array(fc.uuid(), { maxLength: 3 }),
    orgIds: fc.array(fc.uuid(), { maxLength: 2 }),
    dryRun: fc.boolean(),
    staleAfter: fc.constantFrom('2h', '90m', 'PT1.5H', '2 h', '300s', '1d'),
    staleAfterAccepted: fc.constantFrom('3h', 'PT30M', '5m'),
    staleAfterInProgress: fc.constantFrom('4h', 'P1D', '45m'),
    maxCancelsPerRun: fc.integer({ min: 1, max: 10_000 }),
    concurrency: fc.integer({ min: 1, max: 10 }),
    protectCreatedBy: fc.array(fc.uuid(), { maxLength: 3 }),
    protectQueryPattern: fc.constantFrom('nightly', '^select', '(?<x>y)', 'a{2}'),
    onlyCreatedBy: fc.array(fc.uuid(), { maxLength: 2 }),
  },
  { requiredKeys: [] },
);
const anySettings = fc.oneof(validSettings, settings);

/** True when the environment can carry `value` unchanged (no commas in list items, …). */
function representable(value: JanitorSettings): boolean {
  return JSON.stringify(settingsFromEnv(settingsToEnv(value))) === JSON.stringify(value);
}

describe('construct and runtime validation', () => {
  it('agree through the real construct: what synthesizes starts, with the same settings', () => {
    const verdicts = { synthesized: 0, refused: 0 };
    fc.assert(
      fc.property(anySettings, (value) => {
        const synthesized = synth(value);
        verdicts[synthesized.error ? 'refused' : 'synthesized']++;
        if (synthesized.error) {
          expect(synthesized.error.message).toMatch(/^QueryJobJanitor: /);
          if (representable(value))
            expect(start(settingsToEnv({ ...value, secretId: SECRET_ARN })).error).toBeInstanceOf(
              ConfigError,
            );
          return;
        }
        const started = start({ ...(synthesized.env ?? {}), ZUORA_SECRET_ID: SECRET_ARN });
        expect(started.error).toBeUndefined();
        const parsed = parseSettings({ ...value, secretId: SECRET_ARN });
        expect(parsed.ok).toBe(true);
        if (parsed.ok) {
          const { protectQueryPattern, ...rest } = parsed.settings;
          expect(started.config).toMatchObject(rest);
          expect(started.config?.protectQueryPattern?.source).toBe(
            protectQueryPattern === undefined ? undefined : new RegExp(protectQueryPattern).source,
          );
        }
      }),
      { numRuns: 60 },
    );
    // Both paths were exercised, not only the refusals.
    expect(verdicts.synthesized).toBeGreaterThan(10);
    expect(verdicts.refused).toBeGreaterThan(10);
  });

  it('agree on many more values: accepted by both or by neither', () => {
    let accepted = 0;
    fc.assert(
      fc.property(anySettings, (value) => {
        const atSynth = parseSettings(value);
        if (atSynth.ok) accepted++;
        const atStart = start(settingsToEnv({ ...value, secretId: SECRET_ARN }));
        if (atSynth.ok) expect(atStart.error).toBeUndefined();
        else if (representable(value)) expect(atStart.error).toBeInstanceOf(ConfigError);
      }),
      { numRuns: 3_000 },
    );
    expect(accepted).toBeGreaterThan(500);
  });

  it('name the same problem the same way, by key at synth and by variable at start-up', () => {
    const synthesized = synth({ staleAfter: '4m', concurrency: 11 });
    const started = start({
      ZUORA_SECRET_ID: SECRET_ARN,
      JANITOR_STALE_AFTER: '4m',
      JANITOR_CONCURRENCY: '11',
    });

    expect(synthesized.error?.message).toBe(
      'QueryJobJanitor: staleAfter must be at least 5m; concurrency must be a whole number from 1 to 10',
    );
    expect(started.error?.problems).toEqual([
      'JANITOR_STALE_AFTER must be at least 5m',
      'JANITOR_CONCURRENCY must be a whole number from 1 to 10',
    ]);
  });
});

describe('verdicts that changed when validation became one schema', () => {
  // Before, the construct had its own checks: these synthesized and then failed every cold start.
  it.each([
    ['staleAfter', '1m', 'staleAfter must be at least 5m'],
    ['staleAfter', 'P', 'staleAfter must be a duration such as 90m, 2h, 1d or PT2H'],
    ['maxCancelsPerRun', 20_000, 'maxCancelsPerRun must be a whole number from 1 to 10000'],
  ] as const)('%s %j is now refused at synth', (key, value, message) => {
    expect(synth({ [key]: value }).error?.message).toBe(`QueryJobJanitor: ${message}`);
    expect(
      start({ ...settingsToEnv({ [key]: value }), ZUORA_SECRET_ID: SECRET_ARN }).error,
    ).toBeInstanceOf(ConfigError);
  });

  // Before, these worked at run time but failed synth.
  it.each([
    ['PT1.5H', 5_400_000],
    ['2 h', 7_200_000],
  ])('staleAfter %j now synthesizes and starts', (value, ms) => {
    const synthesized = synth({ staleAfter: value });

    expect(synthesized.error).toBeUndefined();
    expect(start({ ...synthesized.env, ZUORA_SECRET_ID: SECRET_ARN }).config?.staleAfterMs).toEqual(
      {
        accepted: ms,
        in_progress: ms,
      },
    );
  });
});
