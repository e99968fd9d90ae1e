/**
 * The universal entry point (`wisp-rx`, dist/esm/index.js) must not pull a Node built-in or
 * the `ws` package into a browser bundle. This walks the built ESM import graph from the
 * entry and lists every bare import it reaches.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.join(__dirname, '..', 'dist', 'esm');
const importPattern = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function bareImports(entry: string): Set<string> {
  const seen = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const match of text.matchAll(importPattern)) {
      const spec = match[1] ?? match[2];
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec));
      else bare.add(spec);
    }
  };
  visit(path.join(root, entry));
  return bare;
}

describe('entry points', () => {
  it('the universal entry imports only rxjs and @noble/ed25519', () => {
    const bare = [...bareImports('index.js')].sort();
    expect(bare.filter((s) => s.startsWith('node:') || s === 'ws' || !/^(rxjs|@noble\/ed25519)(\/|$)/.test(s))).toEqual([]);
    // RxJS one module at a time (lib/rx.ts), never its whole index (1.3 MB of heap in Node).
    expect(bare).toContain('rxjs/internal/Observable');
    expect(bare).not.toContain('rxjs');
  });

  it('the Node entry adds ws and Node built-ins (so the walk does see them)', () => {
    const bare = bareImports('node.js');
    expect(bare.has('ws')).toBe(true);
    expect([...bare].some((s) => s.startsWith('node:'))).toBe(true);
  });
});
