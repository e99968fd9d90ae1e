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

  it.each(['ioredis', 'prom-client', 'rate-limiter-flexible', '@noble'])('does not load %s until a gateway or a key uses it', (name) => {
    expect(loaded).toContain(path.join('ws', 'index.js')); // the walk sees dependencies at all
    expect(loaded.filter((f) => f.startsWith(name + path.sep))).toEqual([]);
  });
});

/** The files under dist/cjs that a fresh Node process has loaded after requiring `entry`, relative to it. */
function ownFilesLoadedBy(entry: string): string[] {
  const dist = path.join(root, 'dist', 'cjs');
  return filesLoadedBy(path.join(dist, entry)).filter((f) => f.startsWith(dist + path.sep)).map((f) => path.relative(dist, f));
}
const under = (files: string[], ...dirs: string[]): string[] => files.filter((f) => dirs.some((dir) => f.startsWith(dir + path.sep)));

describe('loading the Node client entry', () => {
  const files = ownFilesLoadedBy('node-client.js');

  it('loads the ws transport and none of the gateway', () => {
    expect(files).toContain(path.join('transport', 'ws.js'));
    expect(under(files, 'server', 'tunnel')).toEqual([]);
  });

  it('loads neither smux nor yamux (wisp-rx/smux, wisp-rx/yamux)', () => {
    expect(files).toContain(path.join('wisp', 'client-mux.js'));
    expect(under(files, 'smux', 'yamux')).toEqual([]);
  });
});

describe('the protocol entries', () => {
  it.each([
    ['smux.js', 'smux', 'yamux'],
    ['yamux.js', 'yamux', 'smux'],
  ])('%s loads its protocol and not the other one or Wisp', (entry, own, other) => {
    const files = ownFilesLoadedBy(entry);
    expect(under(files, own)).toContain(path.join(own, 'session.js'));
    expect(under(files, other, 'wisp')).toEqual([]);
  });
});
