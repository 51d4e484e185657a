/**
 * The logging surface `lib/` needs. Powertools' `Logger` satisfies it in Lambda; the CLI uses
 * {@link createStderrLogger} so that standard output carries only the report.
 */
export interface Log {
  debug(message: string, attributes?: Record<string, unknown>): void;
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

/** A logger that drops everything, for callers that do not care. */
export const silentLog: Log = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];

/**
 * A structured JSON-lines logger on a writable stream (standard error by default), with the
 * same record shape as Powertools (`level`, `message`, `timestamp`, then the attributes).
 */
export function createStderrLogger(options: {
  level?: string | undefined;
  keys?: Record<string, unknown>;
  write?: (line: string) => void;
}): Log {
  const threshold = LEVELS.indexOf((options.level?.toLowerCase() as Level) ?? 'info');
  const minimum = threshold < 0 ? 1 : threshold;
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const emit = (level: Level) => (message: string, attributes?: Record<string, unknown>) => {
    if (LEVELS.indexOf(level) < minimum) return;
    const record = {
      level: level.toUpperCase(),
      message,
      timestamp: new Date().toISOString(),
      ...options.keys,
      ...attributes,
    };
    write(`${JSON.stringify(record)}\n`);
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}
