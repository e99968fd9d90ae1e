/**
 * Every subscription in lib/ handles errors. An Observable that errors with no error handler
 * reaches RxJS's unhandled-error reporter, which rethrows on a timer: in a server that ends
 * the process. So `x$.subscribe(fn)` and `x$.subscribe({ next })` are banned outright, even
 * where today's source never errors (tomorrow's might); the argument must be an observer with
 * `error` (an object literal, a Subject, or the Subscriber an operator forwards to).
 */
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.join(__dirname, '..', '..');

interface Finding {
  readonly where: string;
  readonly text: string;
}

function findUnhandled(program: ts.Program): Finding[] {
  const checker = program.getTypeChecker();
  const findings: Finding[] = [];
  for (const file of program.getSourceFiles()) {
    if (!file.fileName.startsWith(path.join(ROOT, 'lib') + path.sep)) continue;
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'subscribe') {
        const receiver = checker.getTypeAtLocation(node.expression.expression);
        // Only Observables (anything with pipe); other `subscribe` methods are not RxJS's.
        if (receiver.getProperty('pipe')) {
          const arg = node.arguments[0];
          const handles = arg !== undefined && checker.getTypeAtLocation(arg).getProperty('error') !== undefined;
          if (!handles) {
            const { line } = file.getLineAndCharacterOfPosition(node.getStart(file));
            findings.push({ where: `${path.relative(ROOT, file.fileName)}:${line + 1}`, text: node.getText(file).split('\n')[0] });
          }
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return findings;
}

function programOf(files: Record<string, string>): ts.Program {
  const host = ts.createCompilerHost({ strict: true });
  const original = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version) =>
    name in files ? ts.createSourceFile(name, files[name], version) : original(name, version);
  return ts.createProgram(Object.keys(files), { strict: true, noEmit: true, baseUrl: ROOT, types: [] }, host);
}

describe('lint: every subscription in lib/ has an error handler', () => {
  it('finds none without one', () => {
    const config = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, 'tsconfig.json'), {}, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    })!;
    const program = ts.createProgram(config.fileNames.filter((f) => f.includes(`${path.sep}lib${path.sep}`)), config.options);
    expect(findUnhandled(program)).toEqual([]);
  }, 60_000);

  it('flags a function, an observer without error, and no argument; passes observers with error', () => {
    const file = path.join(ROOT, 'lib', '__lint_probe__.ts');
    const program = programOf({
      [file]: `import { Subject, of } from 'rxjs';
        const s = new Subject<number>();
        of(1).subscribe(() => undefined);
        of(1).subscribe({ next: () => undefined });
        of(1).subscribe();
        of(1).subscribe({ next: () => undefined, error: () => undefined });
        of(1).subscribe(s);
        const notRx = { subscribe: (f: () => void) => f() };
        notRx.subscribe(() => undefined);`,
    });
    expect(findUnhandled(program).map((f) => f.where)).toEqual(['lib/__lint_probe__.ts:3', 'lib/__lint_probe__.ts:4', 'lib/__lint_probe__.ts:5']);
  });
});
