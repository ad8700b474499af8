import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMainThread, Worker, workerData } from 'node:worker_threads';
import { brotliCompressSync, brotliDecompressSync, constants as zlib } from 'node:zlib';

/**
 * A fresh PostgreSQL data directory, as PGlite's own initdb leaves it, kept as a brotli-compressed
 * tar (about 2.7 MB) per PGlite version in ./pglite-template/.
 *
 * Why: PGlite runs initdb inside the process, and that alone peaks at about 900 MB RSS. It starts
 * a second PostgreSQL instance whose initdb probes for `shared_buffers` from 128 MB down (so that
 * instance's WASM memory grows to ~190 MB and is written), keeps a full copy of that instance's
 * 128 MB initial memory to reset it between initdb's runs, builds the new data directory in
 * memory, and tars it; and in PGlite 0.5.16 the second instance and the copy stay reachable (a
 * global handle on the initdb WASM instance) after the first start, so the process idles at
 * ~800 MB. Writing these files instead gives the same data directory (same PGlite, same initdb,
 * same settings) at the cost of unpacking 40 MB.
 *
 * The template is only used for the exact PGlite version it was made with (its name says which);
 * for any other version the store falls back to PGlite's initdb (and warns), and
 * test/store/pglite-memory.test.ts fails until the template is remade:
 *
 *   npx tsx src/store/backends/pglite-template.ts
 */

const TEMPLATE_DIR = 'pglite-template';
/** PostgreSQL treats a directory with PG_VERSION as an existing cluster; it is written last */
const MARKER = 'PG_VERSION';
/** left by the run that made the template; not part of a cluster at rest */
const SKIP = new Set(['postmaster.pid', 'postmaster.opts']);
/** PostgreSQL's own modes for a data directory (PGlite's initdb leaves its files world-writable) */
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/** The installed @electric-sql/pglite version (its package.json, next to its dist/). */
export function pgliteVersion(): string {
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  let dir = dirname(entry);
  for (let i = 0; i < 4; i += 1) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@electric-sql/pglite' && pkg.version) return pkg.version;
    }
    dir = dirname(dir);
  }
  throw new Error('@electric-sql/pglite/package.json not found');
}

export const templateFileName = (version: string) => `pgdata-pglite-${version}.tar.br`;

/**
 * The template folder: beside this module in the source tree; from the compiled dist/src/… tree
 * (tsc copies no data files), the source tree's, found by walking up as migrationsFolder() does.
 */
export function templateFolder(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  let dir = here;
  for (let i = 0; i < 6; i += 1) {
    for (const candidate of [join(dir, TEMPLATE_DIR), join(dir, 'src/store/backends', TEMPLATE_DIR)]) {
      if (existsSync(candidate)) return candidate;
    }
    dir = dirname(dir);
  }
  return join(here, TEMPLATE_DIR);
}

/** The template for the installed PGlite, or undefined when there is none for this version. */
export function pgliteTemplate(): string | undefined {
  const file = join(templateFolder(), templateFileName(pgliteVersion()));
  return existsSync(file) ? file : undefined;
}

// ------------------------------------------------------------------ tar (ustar, regular files and directories)

const BLOCK = 512;

function header(name: string, size: number, type: '0' | '5', mode: number, mtime: number): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar: path too long: ${name}`);
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write(`${mode.toString(8).padStart(7, '0')}\0`, 100, 'ascii');
  h.write('0000000\0', 108, 'ascii'); // uid
  h.write('0000000\0', 116, 'ascii'); // gid
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  h.write(`${Math.floor(mtime).toString(8).padStart(11, '0')}\0`, 136, 'ascii');
  h.write('        ', 148, 'ascii'); // checksum field counts as spaces
  h.write(type, 156, 'ascii');
  h.write('ustar\0' + '00', 257, 'ascii');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

async function tarDirectory(root: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  const walk = async (dir: string) => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      const name = relative(root, path);
      if (SKIP.has(name)) continue;
      const info = await stat(path);
      if (entry.isDirectory()) {
        parts.push(header(`${name}/`, 0, '5', info.mode & 0o7777, info.mtimeMs / 1000));
        await walk(path);
      } else if (entry.isFile()) {
        const data = await readFile(path);
        parts.push(header(name, data.length, '0', info.mode & 0o7777, info.mtimeMs / 1000), data);
        if (data.length % BLOCK) parts.push(Buffer.alloc(BLOCK - (data.length % BLOCK)));
      } else {
        throw new Error(`tar: not a file or directory: ${path}`);
      }
    }
  };
  await walk(root);
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

const field = (h: Buffer, at: number, length: number) => h.toString('utf8', at, at + length).replace(/\0.*$/s, '');

/** The entries of a tar held in memory (each entry's data a view into `tar`, not a copy). */
function* readTar(tar: Buffer): Generator<{ name: string; type: 'file' | 'dir'; data: Buffer }> {
  for (let at = 0; at + BLOCK <= tar.length; ) {
    const h = tar.subarray(at, at + BLOCK);
    at += BLOCK;
    if (h.every((b) => b === 0)) continue; // end-of-archive blocks
    const size = parseInt(field(h, 124, 12) || '0', 8);
    const typeflag = field(h, 156, 1);
    const prefix = field(h, 345, 155);
    const name = ((prefix ? `${prefix}/` : '') + field(h, 0, 100)).replace(/\/$/, '');
    if (typeflag !== '0' && typeflag !== '' && typeflag !== '5') throw new Error(`tar: unsupported entry type ${typeflag} for ${name}`);
    if (at + size > tar.length) throw new Error(`tar: truncated at ${name}`);
    yield { name, type: typeflag === '5' ? 'dir' : 'file', data: tar.subarray(at, at + size) };
    at += Math.ceil(size / BLOCK) * BLOCK;
  }
}

/**
 * The template as an uncompressed tar (40 MB), in one buffer: decompressed in one piece rather than
 * in thousands of small chunks, which would stay in the process's heap as garbage until a
 * collection, and then as free heap that glibc does not hand back.
 */
export function templateTar(template: string): Buffer {
  return brotliDecompressSync(readFileSync(template), { chunkSize: 64 << 20 });
}

function safePath(root: string, name: string): string {
  const path = join(root, name);
  if (isAbsolute(name) || relative(root, path).startsWith('..')) throw new Error(`template: path outside the data dir: ${name}`);
  return path;
}

/** Writes the template's files into `dataDir`, PG_VERSION last. */
function unpackHere(template: string, dataDir: string): void {
  let marker: Buffer | undefined;
  for (const entry of readTar(templateTar(template))) {
    const path = safePath(dataDir, entry.name);
    if (entry.type === 'dir') {
      mkdirSync(path, { recursive: true, mode: DIR_MODE });
    } else if (entry.name === MARKER) {
      marker = entry.data;
    } else {
      mkdirSync(dirname(path), { recursive: true, mode: DIR_MODE });
      writeFileSync(path, entry.data, { mode: FILE_MODE });
    }
  }
  if (!marker) throw new Error(`template ${template} has no ${MARKER}`);
  writeFileSync(join(dataDir, MARKER), marker, { mode: FILE_MODE });
}

/**
 * Unpacks the template into `dataDir` (which holds no cluster yet), PG_VERSION last: a first start
 * cut short leaves no PG_VERSION, so the next start unpacks again over whatever was written.
 *
 * Compiled (as `npm start` runs it), this runs in a worker thread: the 40 MB it decompresses into
 * is freed when the worker ends, not when the main thread's next collection comes around (PGlite
 * has taken its own memory by then, and the process would peak with both). From TypeScript source
 * (tsx, vitest) a worker could not load this module, so it runs here.
 */
export async function unpackTemplate(template: string, dataDir: string): Promise<void> {
  if (!import.meta.url.endsWith('.js')) return unpackHere(template, dataDir);
  const worker = new Worker(new URL(import.meta.url), { workerData: { [UNPACK]: { template, dataDir } } });
  await new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`template unpack worker exited with ${code}`))));
  });
}

const UNPACK = 'leadgate.unpackPgliteTemplate';
if (!isMainThread && (workerData as Record<string, unknown> | null)?.[UNPACK]) {
  const { template, dataDir } = (workerData as Record<string, { template: string; dataDir: string }>)[UNPACK]!;
  unpackHere(template, dataDir);
}

/**
 * Makes the template for the installed PGlite: PGlite's own first start (initdb) on a temp
 * directory, closed cleanly (a shutdown checkpoint), then tarred and compressed: 40 MB to about
 * 2.7 MB. Brotli's window is 4 MB: a 16 MB window finds more of the three near-identical databases
 * (template0, template1, postgres; 1.4 MB), but unpacking then needs a 16 MB ring buffer, and
 * freeing that raises glibc's mmap threshold, after which the process's heap keeps ~25 MB more.
 */
export async function makeTemplate(outDir = templateFolder()): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'leadgate-pglite-template-'));
  try {
    // (imported here: the unpacking worker loads this module and needs none of PGlite)
    const { PGlite } = await import('@electric-sql/pglite');
    const pg = await PGlite.create(dir);
    await pg.close();
    const tar = await tarDirectory(dir);
    const packed = brotliCompressSync(tar, {
      params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_LGWIN]: 22, [zlib.BROTLI_PARAM_SIZE_HINT]: tar.length },
    });
    await mkdir(outDir, { recursive: true });
    const out = join(outDir, templateFileName(pgliteVersion()));
    await writeFile(out, packed);
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (isMainThread && process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  makeTemplate().then(
    (out) => console.error(`wrote ${out}`),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
