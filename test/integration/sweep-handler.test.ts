import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Report } from '../../lib/janitor/index.ts';
import { captureOutput, jsonLines, lambdaContext, loadFunction, startWorld } from '../support/lambda.ts';

let world: Awaited<ReturnType<typeof startWorld>>;

beforeEach(async () => {
  world = await startWorld();
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await world.close();
});

const schedule = { trigger: 'schedule' };

describe('sweep handler', () => {
  it('cancels a stale job on a scheduled run', async () => {
    const stale = world.zuora.addJob({ ageMinutes: 180 });
    const handler = await loadFunction('sweep', world.env);

    const { result } = await captureOutput(() => handler(schedule, lambdaContext()));

    const report = result as Report;
    expect(report.counts).toMatchObject({ scanned: 1, stale: 1, cancelled: 1 });
    expect(world.zuora.job(stale.id)?.queryStatus).toBe('cancelled');
  });
});
