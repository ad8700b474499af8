import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { REPO } from './procs.js';

/**
 * leadgate as `npm start` runs it: plain JavaScript, no TypeScript loader in the process. (tsx in
 * the process adds ~80 MB of RSS and its own start-up work, which would distort the memory figure.)
 * The current src/ (and the benchmark's stub servers) is transpiled file by file with the project's own TypeScript compiler into the
 * run's temp folder, which gets the repo's package.json (ESM), node_modules, drizzle/ and the store's
 * data files (src/store/backends/pglite-template/) beside it,
 * so the build always matches the working tree, whatever state dist/ is in. Takes a second or two.
 */
export async function buildLeadgate(outDir: string): Promise<{ leadgate: string; stubServer: string; variantServer: string }> {
  // the stub servers (echo reference, CRM stub) are built too, so the references run as plain JS as
  // well, and so is the diagnosis's variant server (bench/experiments/variant-server.ts)
  const files = [...(await listTs(join(REPO, 'src'))), join(REPO, 'bench/harness/stub-server.ts'), join(REPO, 'bench/harness/noojee-stub.ts'), join(REPO, 'bench/experiments/variant-server.ts')];
  const compilerOptions: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    verbatimModuleSyntax: true,
    isolatedModules: true,
    esModuleInterop: true,
    sourceMap: true,
  };
  for (const file of files) {
    const rel = relative(REPO, file);
    const out = join(outDir, rel.replace(/\.ts$/, '.js'));
    const { outputText, sourceMapText } = ts.transpileModule(await readFile(file, 'utf8'), { compilerOptions, fileName: file });
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, outputText.replace(/\/\/# sourceMappingURL=.*$/m, `//# sourceMappingURL=${out.split('/').pop()}.map`));
    if (sourceMapText) await writeFile(`${out}.map`, sourceMapText);
  }
  await writeFile(join(outDir, 'package.json'), await readFile(join(REPO, 'package.json')));
  await symlink(join(REPO, 'node_modules'), join(outDir, 'node_modules'), 'dir');
  await symlink(join(REPO, 'drizzle'), join(outDir, 'drizzle'), 'dir');
  // data files the store reads beside its code (the PGlite data-directory templates)
  await symlink(join(REPO, 'src/store/backends/pglite-template'), join(outDir, 'src/store/backends/pglite-template'), 'dir');
  return {
    leadgate: join(outDir, 'src/cli/main.js'),
    stubServer: join(outDir, 'bench/harness/stub-server.js'),
    variantServer: join(outDir, 'bench/experiments/variant-server.js'),
  };
}

async function listTs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name));
}
