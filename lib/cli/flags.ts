/**
 * A small command-line flag parser: `--name value`, `--name=value`, boolean `--name`,
 * repeatable flags, positionals, `--` to end flags, and `-h` for `--help`.
 * @module
 */
import { UsageError } from './cli-error.js';

/** How a flag takes its value. */
export type FlagType = 'boolean' | 'string' | 'list';

/** One flag a command accepts; the help text is generated from these. */
export interface FlagSpec {
  /** Long name without the leading `--`. */
  readonly name: string;
  /** `boolean` takes no value; `string` keeps the last value given; `list` keeps them all. */
  readonly type: FlagType;
  /** Placeholder for the value in the help text, e.g. `PORT`. */
  readonly metavar?: string;
  /** One-line description. */
  readonly help: string;
  /** Default shown in the help text. */
  readonly default?: string;
  /** Heading the help text lists it under. */
  readonly group?: string;
  /** One-letter alias, as in netcat (`q` for `-q SECS`). */
  readonly short?: string;
}

/** What {@link parseFlags} found. Only flags given on the command line are present. */
export class ParsedFlags {
  /** @internal */
  constructor(
    private readonly values: ReadonlyMap<string, string | true | readonly string[]>,
    /** Arguments that are not flags, in order. */
    readonly positionals: readonly string[],
  ) {}

  /** True when the flag was given. */
  has(name: string): boolean {
    return this.values.has(name);
  }

  /** The value of a `string` flag (the last one given), if given. */
  string(name: string): string | undefined {
    const value = this.values.get(name);
    return typeof value === 'string' ? value : undefined;
  }

  /** Every value of a `list` flag, if given at least once. */
  list(name: string): readonly string[] | undefined {
    const value = this.values.get(name);
    return Array.isArray(value) ? value : undefined;
  }
}

/**
 * Parses `argv` against `specs` (`--help`/`-h` is always accepted, as boolean `help`).
 * @throws UsageError for an unknown flag, a missing value, or a value given to a boolean.
 */
export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[], command: string): ParsedFlags {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const byShort = new Map(specs.filter((spec) => spec.short !== undefined).map((spec) => [spec.short, spec]));
  byName.set('help', { name: 'help', type: 'boolean', help: '' });
  const values = new Map<string, string | true | string[]>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h') {
      values.set('help', true);
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(arg.startsWith('--') ? 2 : 1, eq === -1 ? undefined : eq);
    const spec = arg.startsWith('--') ? byName.get(name) : byShort.get(name);
    if (spec === undefined) throw new UsageError(`unknown option ${arg.slice(0, eq === -1 ? undefined : eq)} (see wisp-rx ${command} --help)`);
    if (spec.type === 'boolean') {
      if (eq !== -1) throw new UsageError(`--${spec.name} takes no value`);
      values.set(spec.name, true);
      continue;
    }
    let value: string;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) {
        throw new UsageError(`--${spec.name} needs a value${next === undefined ? '' : ` (write --${spec.name}=VALUE for one starting with --)`}`);
      }
      value = next;
      i++;
    }
    if (spec.type === 'string') values.set(spec.name, value);
    else {
      const list = values.get(spec.name);
      if (Array.isArray(list)) list.push(value);
      else values.set(spec.name, [value]);
    }
  }
  return new ParsedFlags(values, positionals);
}
