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

/** Adds `keys` to every record written through `log`. */
export function withKeys(log: Log, keys: Record<string, unknown>): Log {
  const wrap = (write: Log['info']) => (message: string, attributes?: Record<string, unknown>) =>
    write.call(log, message, { ...keys, ...attributes });
  return {
    debug: wrap(log.debug),
    info: wrap(log.info),
    warn: wrap(log.warn),
    error: wrap(log.error),
  };
}

/** A logger whose methods take a message and any number of extra objects (Powertools' Logger). */
export interface VariadicLogger {
  debug(message: string, ...extra: Array<Record<string, unknown>>): void;
  info(message: string, ...extra: Array<Record<string, unknown>>): void;
  warn(message: string, ...extra: Array<Record<string, unknown>>): void;
  error(message: string, ...extra: Array<Record<string, unknown>>): void;
}

/** Adapts a {@link VariadicLogger} to {@link Log}, passing attributes only when there are some. */
export function fromVariadic(logger: VariadicLogger): Log {
  const forward = (level: keyof Log) => (message: string, attributes?: Record<string, unknown>) =>
    attributes ? logger[level](message, attributes) : logger[level](message);
  return {
    debug: forward('debug'),
    info: forward('info'),
    warn: forward('warn'),
    error: forward('error'),
  };
}
