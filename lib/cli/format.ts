/** Human-readable tables for the CLI and the demo. */

import type { FleetConfiguration, JanitorConfig } from '../config.ts';
import { formatDuration } from '../contract/duration.ts';
import type { JobListing, Report } from '../janitor/index.ts';

function table(headers: readonly string[], rows: readonly string[][]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join(
    '\n',
  );
}

const age = (seconds: number | null) => (seconds === null ? '-' : formatDuration(seconds * 1000));

/** One line: what the run did. */
export function summarizeReport(report: Report): string {
  const { counts } = report;
  const mode = report.dryRun ? 'dry-run' : 'live';
  const parts = [
    `scanned ${counts.scanned}`,
    `stale ${counts.stale}`,
    report.dryRun ? `would cancel ${counts.wouldCancel}` : `cancelled ${counts.cancelled}`,
    `already finished ${counts.alreadyFinished}`,
    `not found ${counts.notFound}`,
    `protected ${counts.protected}`,
    `deferred ${counts.deferred}`,
    `failed ${counts.failed}`,
  ];
  const truncated = report.truncated ? ' (truncated: older jobs may be hidden)' : '';
  return `${report.trigger} ${mode} run ${report.runId}: ${parts.join(', ')} in ${report.durationMs} ms${truncated}`;
}

/** The report as a table of its jobs, then the summary line. */
export function formatReport(report: Report): string {
  const note = (job: Report['jobs'][number]) => job.error ?? job.reason ?? '';
  const withNotes = report.jobs.some((job) => note(job) !== '');
  const rows = report.jobs.map((job) => [
    job.id,
    job.status ?? '-',
    age(job.ageSeconds),
    job.createdBy ?? '-',
    job.queryHash ?? '-',
    job.outcome,
    ...(withNotes ? [note(job)] : []),
  ]);
  const headers = [
    'JOB',
    'STATUS',
    'AGE',
    'CREATED BY',
    'QUERY',
    'OUTCOME',
    ...(withNotes ? ['NOTE'] : []),
  ];
  const body = rows.length > 0 ? table(headers, rows) : 'No stale jobs.';
  const capacity = report.capacity === undefined ? '' : `${formatCapacity(report.capacity)}\n`;
  return `${body}\n${capacity}${summarizeReport(report)}\n`;
}

/** `Capacity: LIVE 5/5 running, 10/10 queued -> 4/5 running, 8/10 queued; WAREHOUSE …`. */
export function formatCapacity(capacity: NonNullable<Report['capacity']>): string {
  if (capacity === 'unknown') return 'Capacity: unknown (the listing cannot see the whole tenant)';
  const slots = (counts: { running: number; queued: number }, limits: typeof counts) =>
    `${counts.running}/${limits.running} running, ${counts.queued}/${limits.queued} queued`;
  const sources = Object.entries(capacity).map(([source, { limits, before, after }]) => {
    const changed = before.running !== after.running || before.queued !== after.queued;
    return `${source} ${slots(before, limits)}${changed ? ` -> ${slots(after, limits)}` : ''}`;
  });
  return `Capacity: ${sources.join('; ')}`;
}

/** `query-janitor list` as a table. */
export function formatListing(listing: JobListing): string {
  const rows = listing.jobs.map((job) => [
    job.id,
    job.entityId ?? '-',
    job.status,
    age(job.ageSeconds),
    job.stale ? 'yes' : 'no',
    job.protected ?? '',
    job.createdBy ?? '-',
  ]);
  const body =
    rows.length > 0
      ? table(['JOB', 'ENTITY', 'STATUS', 'AGE', 'STALE', 'PROTECTED', 'CREATED BY'], rows)
      : 'No accepted or in_progress jobs.';
  const note = listing.truncated ? '\nA page came back full: older jobs may not be shown.' : '';
  return `${body}${note}\n`;
}

/** `query-janitor config show`: each tenant's effective settings (secrets by name only). */
export function formatSettings(
  fleet: Pick<
    FleetConfiguration,
    'commandSenders' | 'eventSource' | 'alarmTopicArn' | 'auditLogRetentionDays' | 'notifications'
  >,
  tenants: readonly JanitorConfig[],
  json: boolean,
): string {
  const shown = tenants.map((tenant) => ({
    name: tenant.name,
    enabled: tenant.enabled,
    schedule: tenant.schedule,
    dryRun: tenant.dryRun,
    staleAfterAccepted: formatDuration(tenant.staleAfterMs.accepted),
    staleAfterInProgress: formatDuration(tenant.staleAfterMs.in_progress),
    eventStaleAfterFloor: formatDuration(tenant.eventStaleAfterFloorMs),
    maxCancelsPerRun: tenant.maxCancelsPerRun,
    concurrency: tenant.concurrency,
    protectCreatedBy: tenant.protectCreatedBy,
    protectQueryPattern: tenant.protectQueryPattern?.source ?? null,
    onlyCreatedBy: tenant.onlyCreatedBy,
    secret: tenant.secret?.id ?? '(created by the stack)',
    kmsKeyArn: tenant.secret?.kmsKeyArn ?? null,
    baseUrl: tenant.baseUrl ?? '(from the secret)',
    entityIds: tenant.entityIds,
    orgIds: tenant.orgIds,
    timeZone: tenant.timeZone,
    warnBefore: tenant.warnBeforeMs === undefined ? null : formatDuration(tenant.warnBeforeMs),
    capacityLimits: json
      ? tenant.capacityLimits
      : Object.entries(tenant.capacityLimits).map(
          ([source, limits]) => `${source} ${limits.running} running, ${limits.queued} queued`,
        ),
    seesAllJobs: tenant.seesAllJobs,
    pressure: tenant.pressure
      ? `headroom ${tenant.pressure.headroom}, after ${formatDuration(tenant.pressure.staleAfterMs)}, retried after ${formatDuration(tenant.pressure.retriedStaleAfterMs)} (retries start at ${tenant.pressure.retriesStart})`
      : null,
  }));
  const notifications = fleet.notifications.map(
    (rule) =>
      `${rule.topicArn} on ${rule.on.join(', ')}${rule.tenants ? ` for ${rule.tenants.join(', ')}` : ''}`,
  );
  if (json) {
    return `${JSON.stringify(
      {
        commandSenders: fleet.commandSenders,
        eventSource: fleet.eventSource,
        alarmTopicArn: fleet.alarmTopicArn ?? null,
        auditLogRetentionDays: fleet.auditLogRetentionDays,
        notifications,
        tenants: shown,
      },
      null,
      2,
    )}\n`;
  }
  const text = (value: unknown) =>
    Array.isArray(value)
      ? value.length > 0
        ? value.join(', ')
        : '-'
      : value === null
        ? '-'
        : String(value);
  const blocks = shown.map((tenant) =>
    Object.entries(tenant)
      .map(([key, value]) => `  ${key.padEnd(22)}${text(value)}`)
      .join('\n'),
  );
  const senders =
    fleet.commandSenders.length > 0
      ? fleet.commandSenders.join(', ')
      : 'none (commands are refused)';
  const header = [
    `command senders: ${senders}`,
    `event source: ${fleet.eventSource}`,
    `alarm topic: ${fleet.alarmTopicArn ?? 'none'}`,
    `audit log kept: ${fleet.auditLogRetentionDays} days`,
    `notifications: ${notifications.length > 0 ? notifications.join('; ') : 'none'}`,
  ].join('\n');
  return `${header}\n\n${shown
    .map((tenant, index) => `tenant ${tenant.name}\n${blocks[index]}`)
    .join('\n\n')}\n`;
}
