/**
 * EventBridge Scheduler expressions as the configuration takes them: `rate(15 minutes)` or
 * `cron(0/15 * * * ? *)`. Checked here so that a typo fails the synth, not the deploy.
 */

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
/** Six fields: minutes hours day-of-month month day-of-week year. */
const CRON = /^cron\((\S+ ){5}\S+\)$/;

/** One field of a cron expression: its range, its names, and the forms only it allows. */
interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** `L`, `W` and `#` forms, with the number they carry (checked against the range). */
  readonly special?: RegExp;
}

const MONTH_NAMES = [
  'JAN',
  'FEB',
  'MAR',
  'APR',
  'MAY',
  'JUN',
  'JUL',
  'AUG',
  'SEP',
  'OCT',
  'NOV',
  'DEC',
];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const CRON_FIELDS: readonly CronField[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  // L (the last day), LW (the last weekday), 15W (the weekday nearest the 15th).
  { name: 'day-of-month', min: 1, max: 31, special: /^(?:LW?|(\d{1,2})W)$/i },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES },
  // L (Saturday), 6L (the last Friday), 2#1 (the first Monday).
  {
    name: 'day-of-week',
    min: 1,
    max: 7,
    names: DAY_NAMES,
    special: /^(?:L|(\d|[A-Z]{3})(?:L|#[1-5]))$/i,
  },
  { name: 'year', min: 1970, max: 2199 },
];

/** The number a value stands for, by digits or by name, if it is in the field's range. */
function cronValue(text: string, field: CronField): number | undefined {
  const named = field.names?.indexOf(text.toUpperCase()) ?? -1;
  const value = named >= 0 ? named + 1 : /^\d{1,4}$/.test(text) ? Number(text) : Number.NaN;
  return value >= field.min && value <= field.max ? value : undefined;
}

/** Why one item of a cron field (`5`, `1-5`, `0/15`, `6L`) is wrong, or undefined. */
function cronItemProblem(item: string, field: CronField): string | undefined {
  const special = field.special?.exec(item);
  if (special) {
    return special[1] === undefined || cronValue(special[1], field) !== undefined
      ? undefined
      : `${field.name} "${item}" is out of range`;
  }
  const [range = '', step, extra] = item.split('/');
  if (extra !== undefined || (step !== undefined && !/^[1-9]\d{0,3}$/.test(step))) {
    return `${field.name} "${item}" has a bad step`;
  }
  if (range === '*') return undefined;
  const bounds = range.split('-');
  if (bounds.length > 2 || bounds.some((bound) => cronValue(bound, field) === undefined)) {
    return `${field.name} "${item}" is not a value or range in ${field.min}-${field.max}`;
  }
  return undefined;
}

/** Why the six fields of a cron expression are wrong, or undefined: AWS's rules, at synth. */
function cronProblem(fields: readonly string[]): string | undefined {
  const [, , dayOfMonth, , dayOfWeek] = fields;
  // One of the two day fields is `?`, the other a value or `*`: never both, never neither.
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    return 'must have ? in exactly one of day-of-month and day-of-week, as in cron(0 12 * * ? *)';
  }
  for (const [index, field] of CRON_FIELDS.entries()) {
    const text = fields[index] as string;
    if (text === '?' && (index === 2 || index === 4)) continue;
    for (const item of text.split(',')) {
      const problem = cronItemProblem(item, field);
      if (problem) return `must be a valid cron expression: ${problem.slice(0, 100)}`;
    }
  }
  return undefined;
}

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
  if (CRON.test(expression)) return cronProblem(cronFields(expression));
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

/** The six fields of a `cron(…)` expression. */
function cronFields(expression: string): string[] {
  return expression.slice('cron('.length, -1).split(' ');
}

/** Where the runs of a cron expression are listed from: a Monday, so a week's pattern shows. */
const SAMPLE_START = Date.UTC(2026, 0, 5);
/** Eight days: a weekly pattern and the gap that wraps from one week into the next. */
const SAMPLE_DAYS = 8;

/**
 * The longest time between two runs of `expression`: a rate's period; for a cron expression,
 * the longest gap between its runs over eight sample days (UTC), or undefined when it runs
 * less than twice in them (weekly, monthly). What a "has not run" alarm must wait out.
 */
export function longestGapMs(expression: string): number | undefined {
  const period = schedulePeriodMs(expression);
  if (period !== undefined || !CRON.test(expression) || scheduleProblem(expression)) return period;
  const runs = cronRuns(cronFields(expression));
  if (runs.length < 2) return undefined;
  return Math.max(...runs.slice(1).map((run, i) => run - (runs[i] as number)));
}

/** The runs of a (valid) cron expression's six fields over the sample days, in order. */
function cronRuns(fields: readonly string[]): number[] {
  const [minutes, hours, , months, , years] = CRON_FIELDS.map((field, index) =>
    [...cronSet(fields[index] as string, field)].sort((a, b) => a - b),
  ) as number[][];
  // The times of day it runs, in order: the same on every day it runs.
  const times = (hours ?? []).flatMap((hour) =>
    (minutes ?? []).map((minute) => hour * UNIT_MS.hour + minute * UNIT_MS.minute),
  );
  const runs: number[] = [];
  const end = SAMPLE_START + SAMPLE_DAYS * UNIT_MS.day;
  for (let day = SAMPLE_START; day < end; day += UNIT_MS.day) {
    const date = new Date(day);
    const monthMatches =
      months?.includes(date.getUTCMonth() + 1) && years?.includes(date.getUTCFullYear());
    if (!monthMatches || !cronDayMatches(fields, date)) continue;
    for (const time of times) runs.push(day + time);
  }
  return runs;
}

/** The values a field's plain items (`*`, `5`, `1-5`, `0/15`) stand for; special forms add none. */
function cronSet(text: string, field: CronField): Set<number> {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    if (field.special?.test(item) || item === '?') continue;
    const [range = '', step] = item.split('/');
    const [low, high] =
      range === '*'
        ? [field.min, field.max]
        : range.includes('-')
          ? range.split('-').map((bound) => cronValue(bound, field) as number)
          : [cronValue(range, field) as number, step ? field.max : cronValue(range, field)];
    for (let value = low as number; value <= (high as number); value += Number(step ?? 1)) {
      values.add(value);
    }
  }
  return values;
}

/** Whether the day fields of a (valid) cron expression pick `date`. */
function cronDayMatches(fields: readonly string[], date: Date): boolean {
  const [, , dayOfMonth = '?', , dayOfWeek = '?'] = fields;
  const day = date.getUTCDate();
  const weekday = date.getUTCDay() + 1;
  const lastDay = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
  if (dayOfMonth !== '?') {
    const plain = cronSet(dayOfMonth, CRON_FIELDS[2] as CronField);
    return dayOfMonth.split(',').some((item) => {
      if (item.toUpperCase() === 'L') return day === lastDay;
      const nearest = /^(L|\d{1,2})W$/i.exec(item)?.[1];
      if (nearest !== undefined) {
        const target = nearest.toUpperCase() === 'L' ? lastDay : Number(nearest);
        return day === nearestWeekday(date, target, lastDay);
      }
      return plain.has(day);
    });
  }
  const plain = cronSet(dayOfWeek, CRON_FIELDS[4] as CronField);
  return dayOfWeek.split(',').some((item) => {
    if (item.toUpperCase() === 'L') return weekday === 7;
    const special = /^(\d|[A-Z]{3})(L|#([1-5]))$/i.exec(item);
    if (special) {
      if (cronValue(special[1] as string, CRON_FIELDS[4] as CronField) !== weekday) return false;
      return special[2]?.toUpperCase() === 'L'
        ? day > lastDay - 7
        : Math.ceil(day / 7) === Number(special[3]);
    }
    return plain.has(weekday);
  });
}

/** The weekday nearest `target` (a day of `date`'s month), never leaving the month. */
function nearestWeekday(date: Date, target: number, lastDay: number): number {
  const day = Math.min(target, lastDay);
  const weekday = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), day)).getUTCDay();
  if (weekday === 6) return day === 1 ? 3 : day - 1;
  if (weekday === 0) return day === lastDay ? day - 2 : day + 1;
  return day;
}
