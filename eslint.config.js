import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'drizzle/', 'bench/results/', '.wrangler/', 'src/entry/generated/*.js', 'src/admin/generated/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  {
    // Type-aware rules: a promise nobody awaits loses its error (an unhandled rejection ends the
    // process) and a promise passed where a plain callback is expected is never awaited.
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    // The admin page's browser script: its DOM globals (and no Node ones) come from its own
    // src/admin/ui/tsconfig.json, which the project service finds for these files (no-undef is off
    // for TypeScript: tsc reports unknown names). It runs as a classic <script>, not a module.
    files: ['src/admin/ui/**/*.ts'],
    languageOptions: { sourceType: 'script' },
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ImportDeclaration, ExportNamedDeclaration, ExportDefaultDeclaration, ExportAllDeclaration, TSExportAssignment, TSImportEqualsDeclaration',
          message: "the admin page's script is a classic <script>: it cannot import or export (scripts/build-admin-ui.ts)",
        },
      ],
    },
  },
  {
    files: ['src/cli/**', 'bench/**', 'test/**', 'scripts/**'],
    rules: { 'no-console': 'off' },
  },
);
