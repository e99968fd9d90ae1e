import { createGateway } from '../server/gateway.js';
import { createLogger } from '../server/logger.js';

/** Entry point of the `wisp-rx` command. Returns once the command has started. */
export async function main(argv: readonly string[]): Promise<void> {
  const [command = 'serve'] = argv;
  if (command !== 'serve') {
    process.stderr.write(`wisp-rx: unknown command ${JSON.stringify(command)} (try: serve)\n`);
    process.exitCode = 2;
    return;
  }
  const logger = createLogger('info');
  const gateway = await createGateway({ logger });
  logger.info(`wisp-rx gateway listening on ${gateway.url}`);
  const stop = (): void => {
    void gateway.close({ graceMs: 5000 }).then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
