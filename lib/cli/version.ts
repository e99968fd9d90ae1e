/**
 * The package's version for `--version`, read from its package.json: found by walking up from
 * this file, since it runs from dist/cjs/cli/ when installed and from lib/cli/ in tests.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The `version` of the nearest package.json named `wisp-rx` above this file. */
export function packageVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (json.name === 'wisp-rx' && json.version !== undefined) return json.version;
    }
    if (path.dirname(dir) === dir) return 'unknown';
  }
}
