/**
 * The layout's rules, checked on every run: no import cycles in lib/, no file over the
 * length guideline, and the core knows no protocol (lib/core, lib/stream and lib/session.ts
 * import nothing from lib/wisp, smux, yamux, the gateway or the CLI).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const LIB = resolve(__dirname, '../../lib');
const MAX_LINES = 310;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Relative imports of a file (static `import`/`export … from`, type-only ones included), as files. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'/gm)) {
    found.push(resolve(dirname(file), match[1].replace(/\.js$/, '.ts')));
  }
  return found;
}

/** Every cycle's files, found by depth-first search (each cycle reported once, from its first file). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') found.push(path.slice(path.indexOf(next)));
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}

const files = sources(LIB);
const graph = new Map(files.map((file) => [file, importsOf(file)]));
const name = (file: string): string => relative(LIB, file);

describe('the layout of lib/', () => {
  it('has no import cycles', () => {
    expect(cycles(graph).map((cycle) => cycle.map(name))).toEqual([]);
  });

  it('the cycle check finds a cycle (probe)', () => {
    const probe = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(cycles(probe)).toEqual([['a', 'b', 'c']]);
  });

  it(`has no file over ${MAX_LINES} lines`, () => {
    const long = files.map((file) => [name(file), readFileSync(file, 'utf8').split('\n').length] as const).filter(([, lines]) => lines > MAX_LINES);
    expect(long).toEqual([]);
  });

  it('keeps the core and the stream views free of any protocol, gateway or CLI', () => {
    const neutral = files.filter((file) => /^(core|stream)\//.test(name(file)) || name(file) === 'session.ts');
    expect(neutral.length).toBeGreaterThan(10);
    const leaks = neutral.flatMap((file) =>
      (graph.get(file) ?? []).filter((target) => /^(wisp|smux|yamux|tunnel|server|cli|client)\//.test(name(target))).map((target) => `${name(file)} -> ${name(target)}`),
    );
    expect(leaks).toEqual([]);
  });
});
