/**
 * Durations as ops write them: `90m`, `2h`, `1d`, `45s`, or ISO-8601 such as `PT2H`, `PT1H30M`,
 * `P1D`. Returns milliseconds, or undefined when `text` is not a duration.
 */
export function parseDuration(text: string): number | undefined {
  const value = text.trim();
  const simple = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/i.exec(value);
  if (simple) {
    const unit = (simple[2] as string).toLowerCase() as keyof typeof UNIT_MS;
    return Math.round(Number(simple[1]) * UNIT_MS[unit]);
  }
  const iso =
    /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(
      value,
    );
  if (!iso || value.toUpperCase() === 'P' || /T$/i.test(value)) return undefined;
  const [, days, hours, minutes, seconds] = iso;
  return Math.round(
    Number(days ?? 0) * UNIT_MS.d +
      Number(hours ?? 0) * UNIT_MS.h +
      Number(minutes ?? 0) * UNIT_MS.m +
      Number(seconds ?? 0) * UNIT_MS.s,
  );
}

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Formats milliseconds compactly for messages and tables: `2h`, `1h30m`, `45s`. */
export function formatDuration(ms: number): string {
  let rest = Math.max(0, Math.round(ms / 1000));
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= size || (unit === 's' && parts.length === 0)) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}
