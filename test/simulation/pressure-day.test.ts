/**
 * Five simulated days of Data Query traffic (seeds 1 to 5; the model and every parameter are in
 * `test/support/data-query-day.ts` and the README), swept every 15 minutes by the real janitor
 * through the Zuora emulator, with the pressure rule off and on over the same traffic.
 */
import { describe, expect, it } from 'vitest';
import { type DayResult, simulateDay, totals } from '../support/data-query-day.ts';

const SEEDS = [1, 2, 3, 4, 5];

async function days(pressure: boolean): Promise<DayResult[]> {
  const results: DayResult[] = [];
  for (const seed of SEEDS) results.push(await simulateDay({ seed, pressure, cadenceMinutes: 15 }));
  return results;
}

describe('a day of traffic with stuck jobs', () => {
  it('the pressure rule at least halves the minutes the queue is full, at a price it reports', async () => {
    const off = await days(false);
    const on = await days(true);
    const [withoutRule, withRule] = [totals(off), totals(on)];
    console.info(
      `pressure simulation, ${SEEDS.length} days, 15-minute runs:\n` +
        `  rule off: ${JSON.stringify(withoutRule)}\n  rule on:  ${JSON.stringify(withRule)}`,
    );

    // The same traffic both ways.
    expect(on.map((day) => day.submitted)).toEqual(off.map((day) => day.submitted));
    // Stuck jobs fill the queue without the rule: the 2-hour threshold never sees them.
    expect(withoutRule.fullMinutes).toBeGreaterThan(60);
    expect(withoutRule.cancelled).toBe(0);
    expect(withRule.fullMinutes).toBeLessThanOrEqual(withoutRule.fullMinutes / 2);
    expect(withRule.refused).toBeLessThan(withoutRule.refused);
    // Every cancel is accounted for, as stuck or as healthy (the price).
    expect(withRule.cancelledUnderPressure).toBe(withRule.cancelled);
    expect(withRule.stuckCancelled + withRule.healthyCancelled).toBe(withRule.cancelled);
    expect(withRule.healthyCancelled).toBeLessThan(withRule.stuckCancelled);
  });
});
