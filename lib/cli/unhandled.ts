/**
 * A last line of defence for the long-running commands: an Observable error that reaches no
 * handler goes to RxJS's unhandled-error reporter, which by default rethrows it on a timer and
 * so ends the process. Every subscription in lib/ handles errors (spec/lint enforces it); if
 * one is ever missed, the command logs the error loudly instead of letting a client crash it.
 * @module
 */
import { config } from '../rx.js';

/** Routes RxJS's unhandled errors to `write` (one line each) instead of throwing them. */
export function reportUnhandledErrors(write: (line: string) => void): void {
  config.onUnhandledError = (error: unknown) => {
    const detail = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
    write(`unhandled error in a subscription (a wisp-rx bug: please report it): ${detail}`);
  };
}
