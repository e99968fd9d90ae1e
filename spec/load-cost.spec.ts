/**
 * What `require('wisp-rx/node')` loads (dist/cjs, built by the global setup): not the whole
 * RxJS index, and none of the dependencies only some gateways use — they load on first use
 * (lib/server/load-on-use.ts). A small process's heap decides how V8 collects it under load
 * (docs/architecture.md, "Heap baseline and V8's marking threshold").
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.join(__dirname, '..');

/** Every file a fresh Node process has loaded after requiring `entry`. */
function filesLoadedBy(entry: string): string[] {
  const probe = `require(${JSON.stringify(entry)}); console.log(JSON.stringify(Object.keys(require.cache)));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', probe], { cwd: root, encoding: 'utf8' })) as string[];
}

/** The files under node_modules that a fresh Node process has loaded after requiring `entry`. */
function loadedBy(entry: string): string[] {
  return filesLoadedBy(entry)
    .filter((f) => f.includes(`${path.sep}node_modules${path.sep}`))
    .map((f) => f.slice(f.lastIndexOf('node_modules') + 13));
}

describe('loading the Node entry', () => {
  const loaded = loadedBy(path.join(root, 'dist/cjs/node.js'));

  it('takes RxJS one module at a time, never its index', () => {
    expect(loaded).toContain(path.join('rxjs', 'dist', 'cjs', 'internal', 'Observable.js'));
    expect(loaded).not.toContain(path.join('rxjs', 'dist', 'cjs', 'index.js'));
  });

  it.each(['ioredis', 'prom-client', 'rate-limiter-flexible'])('does not load %s until a gateway uses it', (name) => {
    expect(loaded).toContain(path.join('ws', 'index.js')); // the walk sees dependencies at all
    expect(loaded.filter((f) => f.startsWith(name + path.sep))).toEqual([]);
  });
});

describe('loading the Node client entry', () => {
  it('loads the ws transport and none of the gateway', () => {
    const files = filesLoadedBy(path.join(root, 'dist/cjs/node-client.js')).map((f) => path.relative(path.join(root, 'dist', 'cjs'), f));
    expect(files).toContain(path.join('transport', 'ws.js'));
    expect(files.filter((f) => f.startsWith('server' + path.sep) || f.startsWith('tunnel' + path.sep))).toEqual([]);
  });
});
