/**
 * EventBridge Scheduler expressions as the configuration takes them: `rate(15 minutes)` or
 * `cron(0/15 * * * ? *)`. Checked here so that a typo fails the synth, not the deploy.
 */

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
/** Six fields: minutes hours day-of-month month day-of-week year. */
const CRON = /^cron\((\S+ ){5}\S+\)$/;
const CRON_FIELD = /^[\d*?,/LW#A-Za-z-]+$/;

/** Why `expression` is not a Scheduler `rate(…)` or `cron(…)` expression, or undefined. */
export function scheduleProblem(expression: string): string | undefined {
  const rate = RATE.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const plural = (rate[2] as string).endsWith('s');
    if (value < 1) return 'must be a rate of at least 1 minute';
    if ((value === 1) === plural) {
      return 'must use a singular unit for 1 and a plural one otherwise, as in rate(1 hour) or rate(15 minutes)';
    }
    return undefined;
  }
  if (CRON.test(expression)) {
    const fields = expression.slice(5, -1).split(' ');
    if (fields.every((field) => CRON_FIELD.test(field))) return undefined;
  }
  return 'must be a Scheduler expression such as rate(15 minutes) or cron(0/15 * * * ? *)';
}

/** The period of a `rate(…)` expression in milliseconds; undefined for `cron(…)`. */
export function schedulePeriodMs(expression: string): number | undefined {
  const rate = RATE.exec(expression);
  if (!rate) return undefined;
  const unit = (rate[2] as string).replace(/s$/, '') as keyof typeof UNIT_MS;
  return Number(rate[1]) * UNIT_MS[unit];
}

/**
 * How late a scheduled run may start (EventBridge Scheduler's flexible window), in milliseconds:
 * a third of the period, 1 to 15 minutes, enough to spread a fleet's runs and short of a period.
 * `cron(…)` schedules get the window of a 15-minute period.
 */
export function flexibleWindowMs(periodMs: number | undefined): number {
  const periodMinutes = (periodMs ?? 15 * 60_000) / 60_000;
  return Math.max(1, Math.min(15, Math.floor(periodMinutes / 3))) * 60_000;
}
