// ESLint flat config: typescript-eslint (type-aware) and eslint-plugin-rxjs-x. `npm run lint`.
// Clean: the whole repository (lib/, spec/, bench/, examples/, scripts) except four files
// that were being changed on another branch while this was cleaned up, and keep their
// findings: lib/server/gateway.ts (2 no-ignored-subscription, 1 no-unnecessary-type-assertion),
// lib/server/auth-limiter.ts (1 unbound-method), lib/server/metrics-endpoint.ts and
// lib/server/wsproxy.ts (1 no-unnecessary-type-assertion each).
'use strict';
const tseslint = require('typescript-eslint');
const rxjsX = require('eslint-plugin-rxjs-x');

// Finnish notation for Observables, with narrow exceptions:
// - names ending in `Subject`: the private Subject behind a public `…$` (`endSubject` → `closed$`);
// - `this`: a `this: Observable<…>` parameter (Observable's subscribe callback) cannot be renamed;
// - Inbox, CloseSignal (stateful classes that extend Observable and are used through their
//   methods) and OperatorFunction (a function, not an Observable).
const finnish = {
  functions: false, methods: false, parameters: true, properties: true, variables: true, strict: false,
  names: { 'Subject$': false, '^this$': false },
  types: { '^(Inbox|ReceiveQueue|CloseSignal|Outbound|OperatorFunction|UnaryFunction)$': false },
};

module.exports = tseslint.config(
  { ignores: ['dist/', 'build/', 'docs/api/', 'coverage/', 'node_modules/', 'bench/results/', 'scripts/check-package/'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    plugins: { 'rxjs-x': rxjsX.default ?? rxjsX },
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: __dirname },
    },
    rules: {
      // An error handed to nobody is a silent hang or crash later.
      'rxjs-x/no-ignored-error': 'error',
      'rxjs-x/no-ignored-subscription': 'error',
      'rxjs-x/no-nested-subscribe': 'error',
      'rxjs-x/no-floating-observables': 'error',
      'rxjs-x/no-unsafe-takeuntil': 'error',
      'rxjs-x/no-internal': 'error',
      'rxjs-x/finnish': ['error', finnish],
      // `let x; x = f(() => x)`: the callback may run inside f, where a `const` would throw (TDZ).
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Forwarding a caught `unknown` (a rejection passed on as it came) is fine; inventing a
      // non-Error reason is not.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The library takes RxJS through lib/rx.ts: `require('rxjs')` loads all of RxJS (1.3 MB of
    // heap in Node), see docs/architecture.md, "Heap baseline and V8's marking threshold".
    files: ['lib/**/*.ts'],
    ignores: ['lib/rx.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'rxjs', message: "Import from lib/rx.ts (one RxJS module each; the full index costs 1.3 MB of heap)." }] }],
    },
  },
  {
    // Tests and benchmarks subscribe for the test's lifetime: every source they subscribe to is
    // a mux/transport the test (or its afterEach) closes, which completes the subscription. The
    // Subscription handles would only be kept to be dropped. no-ignored-error stays on: give
    // the observer an `error` (spec/observers.ts `failTest`, or a promise's reject).
    // Nested subscribes are how the specs wire an echo server per accepted stream.
    files: ['spec/**/*.ts', 'bench/**/*.ts'],
    rules: {
      'rxjs-x/no-ignored-subscription': 'off',
      'rxjs-x/no-nested-subscribe': 'off',
      // TestScheduler's run helpers keep their documented names (`cold`, `hot`).
      'rxjs-x/finnish': ['error', { ...finnish, names: { ...finnish.names, '^(cold|hot)$': false } }],
    },
  },
  {
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly', console: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
