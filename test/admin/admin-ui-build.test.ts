import { createHash } from 'node:crypto';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { buildAdminUi, compileAdminScript } from '../../scripts/build-admin-ui.js';
import { ADMIN_PAGE_SCRIPT } from '../../src/admin/generated/ui-script.js';
import { adminPage } from '../../src/admin/ui-page.js';

const options: ts.CompilerOptions = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022, strict: true };
const compile = (source: string) => compileAdminScript(ts, source, options, 'page.ts');

describe('the admin page script build (scripts/build-admin-ui.ts)', () => {
  it('strips the types and leaves a classic script: no module wrapper, no export', () => {
    const js = compile("'use strict';\ninterface Row { id: number }\nconst rows: Row[] = [];\nfunction count(list: readonly Row[]): number { return list.length; }\ndocument.title = String(count(rows));\n");
    expect(js).toBe("'use strict';\nconst rows = [];\nfunction count(list) { return list.length; }\ndocument.title = String(count(rows));\n");
  });

  it('refuses a module: the page runs a classic <script>, where import and export are syntax errors', () => {
    expect(() => compile("import { x } from './x.js';\ndocument.title = x;\n")).toThrow(/must not import or export/);
    expect(() => compile('export {};\n')).toThrow(/must not import or export/);
  });

  it('refuses text that would end the inline <script> element early', () => {
    expect(() => compile("document.body.innerText = '</script><p>';\n")).toThrow(/would break the inline <script> element/);
    expect(() => compile("const a = '<!--';\n")).toThrow(/would break the inline <script> element/);
  });

  it('reports a syntax error with its place', () => {
    expect(() => compile('const = 1;\n')).toThrow(/page\.ts\(1,7\)/);
  });

  it('leaves an up-to-date output alone (the test setup just built it)', async () => {
    expect(await buildAdminUi()).toBe(false);
  });
});

describe('the admin page', () => {
  it('inlines the compiled script exactly as the CSP pins it', () => {
    const { html, headers } = adminPage();
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
    expect(scripts).toEqual([ADMIN_PAGE_SCRIPT]);
    const pinned = `'sha256-${createHash('sha256').update(ADMIN_PAGE_SCRIPT).digest('base64')}'`;
    expect(headers['content-security-policy']).toContain(`script-src ${pinned};`);
    // the browser source's own code, not a stub
    expect(ADMIN_PAGE_SCRIPT).toContain("const TOKEN_KEY = 'leadgate-admin-token';");
    expect(ADMIN_PAGE_SCRIPT).not.toContain('interface RuleError');
    // inlined: no source map comment pointing at a file that is not there
    expect(ADMIN_PAGE_SCRIPT).not.toContain('sourceMappingURL');
  });
});
