import { config, throwError } from 'rxjs';
import { reportUnhandledErrors } from '../../lib/cli/unhandled';

afterEach(() => {
  config.onUnhandledError = null;
});

describe('reportUnhandledErrors', () => {
  it('turns an error nobody handles into a log line instead of a thrown exception', async () => {
    const lines: string[] = [];
    const logged = new Promise<void>((resolve) =>
      reportUnhandledErrors((line) => {
        lines.push(line);
        resolve();
      }),
    );
    throwError(() => new Error('nobody listens')).subscribe(); // deliberately no error handler
    await logged;
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^unhandled error in a subscription .*Error: nobody listens/);
  });
});
