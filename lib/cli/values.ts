/**
 * Parsers for the values flags and config files carry. Each takes a label (`--port`,
 * `wisp.json: port`) for its error message and throws {@link UsageError}.
 * @module
 */
import * as fs from 'node:fs';
import { LOG_LEVELS, type LogLevel } from '../server/logger.js';
import { UsageError } from './cli-error.js';

/** Largest delay Node timers take, in milliseconds: the bound of every `MS` option. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * An integer in `[min, max]`, from a number (config files) or a decimal string (flags).
 * @throws UsageError otherwise.
 */
export function parseInteger(value: unknown, label: string, min: number, max: number): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${label}: expected an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/**
 * An integer in `[min, max]` from a config file: a JSON number, never a string (`"4101"` is
 * refused, as the README promises for wrongly typed values).
 * @throws UsageError otherwise.
 */
export function parseJsonInteger(value: unknown, label: string, min: number, max: number): number {
  if (typeof value !== 'number') throw new UsageError(`${label}: expected an integer from ${min} to ${max} (a JSON number), got ${JSON.stringify(value)}`);
  return parseInteger(value, label, min, max);
}

/**
 * One of {@link LOG_LEVELS}.
 * @throws UsageError otherwise.
 */
export function parseLogLevel(value: unknown, label: string): LogLevel {
  if (!(LOG_LEVELS as readonly unknown[]).includes(value)) throw new UsageError(`${label}: expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(value)}`);
  return value as LogLevel;
}

/** A host and port, as in `HOST:PORT` or `[IPv6]:PORT`. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * Parses `HOST:PORT` (`[::1]:80` for IPv6). `minPort` is 0 for a local address to listen on
 * (any free port), 1 for a destination.
 * @throws UsageError when malformed.
 */
export function parseHostPort(text: string, label: string, minPort = 1): HostPort {
  const m = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d+)$/.exec(text.trim());
  if (m === null) throw new UsageError(`${label}: expected HOST:PORT, got ${JSON.stringify(text)}`);
  return { host: (m[1] ?? m[2]), port: parseInteger(m[3], `${label} port`, minPort, 65535) };
}

/** Text of a {@link HostPort} (IPv6 bracketed). */
export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Splits `NAME:PASS` at the first colon. The message never repeats the value: it holds a password.
 * @throws UsageError when there is no colon or the name is empty.
 */
export function parseCredentials(text: string, label: string): { readonly username: string; readonly password: string } {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new UsageError(`${label}: expected NAME:PASSWORD`);
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/**
 * The lines of a text file that carry something: trimmed, without blank lines and `#` comments,
 * each with its 1-based line number.
 * @throws UsageError when the file cannot be read.
 */
export function readContentLines(file: string, label: string): { readonly line: number; readonly text: string }[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${label}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return text
    .split('\n')
    .map((raw, i) => ({ line: i + 1, text: raw.trim() }))
    .filter(({ text: t }) => t !== '' && !t.startsWith('#'));
}
