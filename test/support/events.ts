/** Events shaped exactly as AWS delivers them to the functions. */

function eventBridge(detailType: string, detail: unknown, overrides: Record<string, unknown>) {
  return {
    version: '0',
    id: 'b5b9c3a2-5d1e-4c44-8a3f-0f2b8e6c1d11',
    'detail-type': detailType,
    source: 'query-janitor',
    account: '123456789012',
    time: '2026-11-28T12:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
    ...overrides,
  };
}

/** A `Cancel Query Jobs` event as EventBridge delivers it to a Lambda target. */
export function cancelEvent(detail: unknown, overrides: Record<string, unknown> = {}) {
  return eventBridge('Cancel Query Jobs', detail, overrides);
}

/** A `Sweep Query Jobs` event as EventBridge delivers it to a Lambda target. */
export function sweepEvent(detail: unknown, overrides: Record<string, unknown> = {}) {
  return eventBridge('Sweep Query Jobs', detail, overrides);
}

/** The input the construct's EventBridge Scheduler schedule sends (context attributes filled). */
export const scheduleInput = {
  trigger: 'schedule',
  scheduledTime: '2026-11-28T12:15:00Z',
  executionId: '5b0a1d3e-9c1f-4c3e-8f1e-1a2b3c4d5e6f',
};
