// ESLint flat config: typescript-eslint (type-aware) and eslint-plugin-rxjs-x. `npm run lint`.
// Clean: examples/, lib/cli/, lib/client/, lib/testing*, lib/views/duplex-types.ts and the
// build and check scripts. The rest of lib/ and spec/ still have findings (see CHANGELOG).
'use strict';
const tseslint = require('typescript-eslint');
const rxjsX = require('eslint-plugin-rxjs-x');

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
      // Finnish notation for Observables, with three narrow exceptions:
      // - names ending in `Subject`: the private Subject behind a public `…$` (`endSubject` → `closed$`);
      // - `this`: a `this: Observable<…>` parameter (Observable's subscribe callback) cannot be renamed;
      // - Inbox, CloseSignal (stateful classes that extend Observable and are used through their
      //   methods) and OperatorFunction (a function, not an Observable).
      'rxjs-x/finnish': ['error', {
        functions: false, methods: false, parameters: true, properties: true, variables: true, strict: false,
        names: { 'Subject$': false, '^this$': false },
        types: { '^(Inbox|CloseSignal|OperatorFunction|UnaryFunction)$': false },
      }],
      // `let x; x = f(() => x)`: the callback may run inside f, where a `const` would throw (TDZ).
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Forwarding a caught `unknown` (a rejection passed on as it came) is fine; inventing a
      // non-Error reason is not.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly', console: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
