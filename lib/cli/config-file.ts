/**
 * Loads `wisp-rx serve --config FILE`: a JSON object whose keys are the GatewayOptions
 * names (`port`, `bufferSize`, …), the destination policy nested as `policy`, plus the
 * CLI's own settings (`logLevel`, `workers`, …). Values are checked later, per setting.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from './cli-error.js';

/** A loaded config file: its settings flattened (`policy.allowLoopback`), and where it lives. */
export interface ConfigFile {
  /** The path as given, for messages. */
  readonly file: string;
  /** Directory that relative paths inside the file are resolved against. */
  readonly dir: string;
  /** Settings as `[key, JSON value]`, policy keys prefixed with `policy.`. */
  readonly entries: readonly (readonly [string, unknown])[];
}

/**
 * Reads and parses a config file, refusing keys not in `knownKeys`.
 * @throws UsageError for a missing or unreadable file, bad JSON, a non-object, or an unknown key.
 */
export function loadConfigFile(file: string, knownKeys: ReadonlySet<string>): ConfigFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--config: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file}: not valid JSON: ${(error as Error).message}`);
  }
  if (!isPlainObject(json)) throw new UsageError(`${file}: expected a JSON object`);
  const entries: [string, unknown][] = [];
  for (const [key, value] of Object.entries(json)) {
    if (key === 'policy') {
      if (!isPlainObject(value)) throw new UsageError(`${file}: policy: expected an object`);
      for (const [name, inner] of Object.entries(value)) entries.push([`policy.${name}`, inner]);
    } else entries.push([key, value]);
  }
  for (const [key] of entries) if (!knownKeys.has(key)) throw new UsageError(`${file}: unknown setting ${JSON.stringify(key)}`);
  return { file, dir: path.dirname(path.resolve(file)), entries };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
