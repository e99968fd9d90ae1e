/**
 * Entry point of the `wisp-rx` command (`bin/wisp-rx.js`): dispatches to `serve` (the
 * default), `forward`, `nc` or `tunnel`, and turns failures into one line on stderr and an exit code
 * (2 for invalid options, 1 otherwise).
 * @module
 */
import cluster from 'node:cluster';
import { CliError, UsageError } from './cli-error.js';
import { describeError } from './client-options.js';
import { runPrimary } from './cluster.js';
import { parseFlags } from './flags.js';
import { forward } from './forward.js';
import { mainHelp, serveHelp } from './help.js';
import { keygen } from './keygen.js';
import { nc } from './nc.js';
import { packageVersion } from './version.js';
import { serve } from './serve.js';
import { SERVE_FLAGS } from './serve-options.js';
import { printableConfig, resolveServeSettings } from './serve-settings.js';
import { tunnel } from './tunnel.js';
import { reportUnhandledErrors } from './unhandled.js';
import { runWorker } from './worker.js';
import { WORKER_ENV } from './worker-messages.js';

/** Runs `wisp-rx serve`; resolves once it listens (or forked its workers). */
async function serveCommand(argv: readonly string[]): Promise<number | undefined> {
  const flags = parseFlags(argv, SERVE_FLAGS, 'serve');
  if (flags.has('help')) return process.stdout.write(serveHelp()), 0;
  if (flags.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(flags.positionals[0])}`);
  const settings = resolveServeSettings(flags);
  if (flags.has('print-config')) return process.stdout.write(`${JSON.stringify(printableConfig(settings), null, 2)}\n`), 0;
  const slot = process.env[WORKER_ENV];
  if (cluster.isWorker && slot !== undefined) await runWorker(settings, slot);
  else if (settings.workers > 1) runPrimary(settings);
  else await serve(settings);
  return undefined;
}

const COMMANDS: Readonly<Record<string, (argv: readonly string[]) => Promise<number | undefined>>> = {
  serve: serveCommand,
  forward,
  nc,
  tunnel,
  keygen,
  help: () => Promise.resolve((process.stdout.write(mainHelp()), 0)),
};

/**
 * Runs the command line `argv` (without `node` and the script). Resolves once a long-running
 * command has started; commands that finish (`nc`, `--help`) and failures end the process.
 */
export async function main(argv: readonly string[]): Promise<void> {
  // --version with any command (flags after "--" are positionals, not options).
  const options = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  if (options.includes('--version') || options.includes('-V')) {
    process.stdout.write(`wisp-rx ${packageVersion()}\n`, () => process.exit(0));
    return;
  }
  const [first] = argv;
  const named = first !== undefined && !first.startsWith('-');
  const command = named ? first : first === '--help' || first === '-h' ? 'help' : 'serve';
  const run = COMMANDS[command];
  let code: number | undefined;
  reportUnhandledErrors((line) => process.stderr.write(`wisp-rx ${command}: ${line}\n`));
  try {
    if (run === undefined) throw new UsageError(`unknown command ${JSON.stringify(command)} (commands: ${Object.keys(COMMANDS).join(', ')})`);
    code = await run(named ? argv.slice(1) : argv);
  } catch (error) {
    const message = error instanceof CliError ? error.message : describeError(error);
    process.stderr.write(`wisp-rx ${command}: ${message}\n`);
    code = error instanceof CliError ? error.exitCode : 1;
  }
  // Standard streams are flushed before exiting: stdout may be a pipe still draining.
  if (code !== undefined) process.stdout.write('', () => process.exit(code));
}
