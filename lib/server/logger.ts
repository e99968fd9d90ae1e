/** Log levels, quietest first. */
export const LOG_LEVELS = ['silent', 'error', 'warn', 'info', 'debug'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A levelled, line-oriented logger. Messages must never contain credentials. */
export interface Logger {
  readonly level: LogLevel;
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

/** A logger writing one timestamped line per event at or above `level` to `write` (stderr by default). */
export function createLogger(level: LogLevel = 'info', write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Logger {
  const rank = LOG_LEVELS.indexOf(level);
  const at = (name: LogLevel) => (LOG_LEVELS.indexOf(name) <= rank ? (message: string) => write(`${new Date().toISOString()} ${name.padEnd(5)} ${message}`) : () => undefined);
  return { level, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

/** A logger that drops everything (the default in tests and for embedded use). */
export const silentLogger: Logger = createLogger('silent', () => undefined);
