// @ts-check
// A few rules that catch real bugs here, all green on the whole tree (`npm run lint`, run by
// .ci/run before the tests). Type-aware: it reads tsconfig.json like the type-check does.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // web/ is the Vue app (type-checked by vue-tsc); generated and built files are not ours.
  { ignores: ['dist/**', 'node_modules/**', 'web/**', 'coverage/**', 'test-artifacts/**', 'vendor/**', 'scripts/**', '*.config.*'] },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'migrations/**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A promise nobody awaits: a transaction that commits after its caller moved on, an
      // error that never reaches the error mapping. `void` marks the deliberate ones.
      '@typescript-eslint/no-floating-promises': 'error',
      // Tests and migrations run the real schema; `synchronize` would let TypeORM rewrite it.
      'no-restricted-syntax': [
        'error',
        { selector: "Property[key.name='synchronize'][value.value=true]", message: 'Never synchronize: schema changes are migrations (migrations/).' },
      ],
      // `==` coerces; the one idiom kept is `== null` (null or undefined).
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // Every error is a DomainError with a code (src/common/errors), or an Error: never a string.
      '@typescript-eslint/only-throw-error': 'error',
    },
  },
);
