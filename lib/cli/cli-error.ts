/**
 * Errors that end a `wisp-rx` command: `main` prints the message as one line on stderr,
 * prefixed with the command, and exits with the error's code.
 * @module
 */

/** A failure with the exit code it maps to (1 by default). */
export class CliError extends Error {
  constructor(
    message: string,
    /** Process exit code. */
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Exit code for a refused command line or configuration. */
export const USAGE_EXIT_CODE = 2;

/** A command line or configuration the CLI refuses (unknown flag, bad value, missing file, bad key): exit code 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, USAGE_EXIT_CODE);
    this.name = 'UsageError';
  }
}
