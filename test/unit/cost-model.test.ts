/**
 * The benchmark's cost model on a hand-computed example: made-up round prices and usage (not
 * the real ones), so each line can be checked by hand in the comments.
 */
import { describe, expect, it } from 'vitest';
import {
  fleetFixed,
  fleetMonth,
  mix,
  type Price,
  type PriceTable,
  type RunProfile,
  runsPerMonth,
  secretReadsPerRun,
  tenantMonth,
} from '../../scripts/cost-model.ts';
import { PRICES } from '../../scripts/prices.ts';

const price = (usd: number, per = 1): Price => ({ usd, per, unit: 'unit', source: 'test' });

const prices: PriceTable = {
  asOf: '2000-01-01',
  region: 'test-1',
  currency: 'USD',
  bytesPerGb: 1_000_000,
  hoursPerMonth: 100,
  lambdaCompute: price(0.001),
  lambdaRequests: price(1, 1000),
  schedulerInvocations: price(2, 1000),
  eventsPublished: price(3, 1000),
  archiveIngest: price(0.5),
  archiveStorage: price(0.25),
  secret: price(2),
  secretsApi: price(1, 100),
  logsIngest: price(1),
  logsStorage: price(0.5),
  customMetric: price(0.5),
  alarm: price(0.2),
  dashboard: price(4),
  freeDashboards: 1,
  dynamoWrite: price(1, 1000),
  dynamoRead: price(0.5, 1000),
  sqsRequests: price(2, 1000),
};

const run: RunProfile = {
  billedMs: 2000,
  logBytes: 500,
  logStoredBytes: 100,
  secretsCalls: 0.5,
  events: 2,
  eventBytes: 1000,
  eventStoredBytes: 200,
  dynamoWrites: 2,
  dynamoReads: 1,
  sqsRequests: 0.5,
};

describe('the cost model', () => {
  it('counts runs in a month and secret reads per run', () => {
    expect(runsPerMonth(10, prices)).toBe(600); // 100 h * 60 / 10
    expect(runsPerMonth(15, PRICES)).toBe(2920); // 730 h * 60 / 15
    expect(secretReadsPerRun(1, 5)).toBe(0.2);
    expect(secretReadsPerRun(5, 5)).toBe(1);
    expect(secretReadsPerRun(15, 5)).toBe(1);
  });

  it('blends two runs field by field', () => {
    const busy = { ...run, billedMs: 3000, events: 10, logBytes: 900 };
    const blended = mix(run, busy, 0.25);
    expect(blended.billedMs).toBe(2250);
    expect(blended.events).toBe(4);
    expect(blended.logBytes).toBe(600);
    expect(blended.dynamoWrites).toBe(2);
  });

  it('prices a tenant-month line by line', () => {
    const cost = tenantMonth(
      {
        runsPerMonth: 600,
        run,
        memoryMb: 512,
        retentionMonths: { functionLogs: 2, auditLog: 3, archive: 4 },
        perTenant: { secrets: 1, metrics: 1, alarmMetrics: 2, schedules: 1 },
      },
      prices,
    );
    const expected = {
      lambdaCompute: 0.6, // 600 runs * (2 s * 0.5 GB) * 0.001
      lambdaRequests: 0.6, // 600 * 1/1000
      functionLogsIngest: 0.3, // 600 * 0.0005 GB * 1
      functionLogsStorage: 0.06, // 600 * 0.0001 GB * 2 months * 0.5
      secretsApi: 3, // 600 * 0.5 * 1/100
      eventsPublished: 3.6, // 600 * 2 * 3/1000
      eventArchive: 0.9, // 600 * 0.001 GB * (0.5 + 4 months * 0.25)
      auditLog: 0.78, // 600 * (0.001 GB * 1 + 0.0002 GB * 3 months * 0.5)
      dynamodb: 1.5, // 600 * (2 * 1/1000 + 1 * 0.5/1000)
      sqs: 0.6, // 600 * 0.5 * 2/1000
    };
    for (const [line, usd] of Object.entries(expected)) {
      expect(cost.variable[line as keyof typeof expected], line).toBeCloseTo(usd, 10);
    }
    expect(cost.fixed.secret).toBeCloseTo(2, 10);
    expect(cost.fixed.sweepSucceededMetric).toBeCloseTo(0.5, 10);
    expect(cost.fixed.notRunAlarm).toBeCloseTo(0.4, 10); // 2 alarm metrics * 0.2
    expect(cost.fixed.schedule).toBeCloseTo(1.2, 10); // 600 invocations * 2/1000
    expect(cost.variableTotal).toBeCloseTo(11.94, 10);
    expect(cost.fixedTotal).toBeCloseTo(4.1, 10);
    expect(cost.total).toBeCloseTo(16.04, 10);
    expect(cost.dominant.line).toBe('eventsPublished');
    expect(cost.dominant.share).toBeCloseTo(3.6 / 16.04, 10);
  });

  it('prices the fleet: its fixed part, free dashboards, and the share per tenant', () => {
    const fixed = fleetFixed(
      { metrics: 10, alarmMetrics: 9, dashboards: 2, freeDashboardsLeft: 1 },
      prices,
    );
    expect(fixed).toEqual({
      metrics: 5, // 10 * 0.5
      alarms: expect.closeTo(1.8, 10), // 9 * 0.2
      dashboards: 4, // (2 - 1 free) * 4
      total: expect.closeTo(10.8, 10),
    });
    const perTenant = tenantMonth(
      {
        runsPerMonth: 600,
        run,
        memoryMb: 512,
        retentionMonths: { functionLogs: 2, auditLog: 3, archive: 4 },
        perTenant: { secrets: 1, metrics: 1, alarmMetrics: 2, schedules: 1 },
      },
      prices,
    );
    const fleet = fleetMonth(5, perTenant, fixed.total);
    expect(fleet.total).toBeCloseTo(91, 10); // 5 * 16.04 + 10.8
    expect(fleet.perTenant).toBeCloseTo(18.2, 10);
    expect(fleet.fixedShare).toBeCloseTo(10.8 / 91, 10);
  });

  it('uses one dated price table with a source for every price', () => {
    expect(PRICES.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(PRICES.region).toBe('us-east-1');
    for (const value of Object.values(PRICES)) {
      if (typeof value === 'object') expect(value.source).toMatch(/^https:\/\/aws\.amazon\.com\//);
    }
  });
});
