import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { migratePostgres } from '../../src/store/backends/postgres.js';
import { onCleanup } from './cleanup.js';
import { BENCH_API_KEY } from './leads.js';
import { buildLeadgate } from './build.js';
import { CHILD_EXEC_ARGV, EXIT_WITH_PARENT, freePort, REPO, startService, waitForHttp, type Service } from './procs.js';

/** A temp folder for this run (rules, logs, PGlite data, profiles), removed at the end unless BENCH_KEEP=1. */
let runDir: string | undefined;
export async function benchTempDir(): Promise<string> {
  if (!runDir) {
    runDir = await mkdtemp(join(tmpdir(), 'leadgate-bench-'));
    const dir = runDir;
    onCleanup('bench temp dir', async () => {
      if (process.env.BENCH_KEEP === '1') console.error(`kept ${dir}`);
      else await rm(dir, { recursive: true, force: true });
    });
  }
  return runDir;
}

const BASIC_RULES = fileURLToPath(new URL('../../test/fixtures/rules/basic/', import.meta.url));
export const CRM_TOKEN = 'bench-crm-token';

/** test/fixtures/rules/basic, copied: template 1 de-duplicates per campaign; no duplicate check. */
export async function writeBasicRules(name: string): Promise<string> {
  const dir = join(await benchTempDir(), name);
  await cp(BASIC_RULES, dir, { recursive: true });
  return dir;
}

/**
 * The basic rules plus a connect to the CRM stub and a duplicate-check table (the shapes of
 * test/support/crm-rules.ts). The stub answers `{}`, so no row matches and `noMatch` creates the
 * lead: every lead takes the whole path (precheck, CRM call, table, decision record, insert).
 */
/** The benchmark's CRM connect (connects/crm.yaml) for the stub at `crmUrl`; its token is `${env:CRM_TOKEN}`. */
export function benchCrmConnect(crmUrl: string) {
  return {
    version: 1,
    url: `${crmUrl}/api/leads/lookup`,
    method: 'POST',
    headers: { Authorization: 'Bearer ${env:CRM_TOKEN}' },
    body: 'json',
    response: 'json',
    timeoutMs: 2_000,
    retries: 0,
    // as many calls in flight as the admission gate has slots, so the connect is not the bottleneck
    maxConcurrency: 32,
    allowPrivateNetwork: true,
    circuit: { failureThreshold: 1000, openMs: 60_000 },
    adaptor: [
      { field: 'phone', mappedTo: 'phone_number' },
      { field: 'email', mappedTo: 'contact.email', default: '' },
      { field: 'njExternalLeadId', mappedTo: 'external_id' },
    ],
  };
}

export async function writeCrmRules(name: string, crmUrl: string): Promise<string> {
  const dir = await writeBasicRules(name);
  await mkdir(join(dir, 'connects'), { recursive: true });
  await writeFile(
    join(dir, 'connects/crm.yaml'),
    stringify(benchCrmConnect(crmUrl)),
  );
  await writeFile(
    join(dir, 'duplicate-check.yaml'),
    stringify({
      version: 1,
      enabled: true,
      connect: 'crm',
      appliesTo: ['noojee', 'convoso', 'hooks'],
      rows: [
        { key: '$.customer.status', value: 'active', createLead: false, addToDnc: false, success: false, reason: 'existing customer' },
        { key: '$.flags.doNotCall', value: 'true', createLead: true, status: 'DNC', addToDnc: true, success: true },
        { key: '$.customer.score', op: 'lt', value: 50, createLead: true, status: 'LOW_SCORE', success: false, reason: 'low score' },
        { key: '$.blocked', op: 'in', value: ['yes', 'hard'], createLead: false, addToDnc: true, success: false, reason: 'blocked' },
      ],
      noMatch: { createLead: true, success: true },
      onError: { createLead: true, status: 'CRM_ERROR', success: true },
    }),
  );
  return dir;
}

export const NOOJEE_STUB_KEY = 'bench-noojee-key';

/**
 * The basic rules plus `destinations/dialer.yaml`: campaign 10's created leads forwarded to the
 * 0 ms Noojee stub in queue mode (SPEC 10.1), `maxConcurrency` 16 and the given `batch`. Its
 * apiKey comes from `${env:NOOJEE_API_KEY}` (pass `{ NOOJEE_API_KEY: NOOJEE_STUB_KEY }`).
 */
export async function writeForwardRules(name: string, dialerUrl: string, batch: number): Promise<string> {
  const dir = await writeBasicRules(name);
  await mkdir(join(dir, 'destinations'), { recursive: true });
  await writeFile(
    join(dir, 'destinations/dialer.yaml'),
    stringify({
      version: 1,
      kind: 'noojee',
      url: dialerUrl,
      credentials: { apiKey: '${env:NOOJEE_API_KEY}' },
      routes: [{ match: { campaignId: 10 }, to: { templateId: 1, campaignId: 10, allocationId: 100 } }],
      forward: ['insert'],
      mode: 'queue',
      timeoutMs: 10_000,
      maxConcurrency: 16,
      ratePerSecond: 0,
      batch,
      retry: { firstDelayMs: 1_000, maxDelayMs: 10_000, maxAttempts: 48 },
      allowPrivateNetwork: true,
    }),
  );
  return dir;
}

export interface Leadgate extends Service {
  port: number;
  base: string;
  /** its LEADGATE_DATA_DIR (used when there is no DATABASE_URL) */
  dataDir: string;
}

let built: Promise<{ leadgate: string; stubServer: string; variantServer: string }> | undefined;
const build = () => (built ??= benchTempDir().then((temp) => buildLeadgate(join(temp, 'build'))));

/**
 * The node flags `npm start` gives leadgate (package.json's start script: `node FLAGS… dist/src/cli/main.js serve`),
 * so the benchmark runs it as users do (--enable-source-maps, the young generation's cap).
 */
function npmStartNodeFlags(): string[] {
  const start = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const command = /\bnode((?:\s+--[^\s]+)*)\s+dist\/src\/cli\/main\.js serve/.exec(start);
  if (!command) throw new Error(`package.json's start script does not run node … dist/src/cli/main.js serve: ${start}`);
  return command[1]!.trim().split(/\s+/).filter(Boolean);
}

/**
 * How leadgate is started, BENCH_LEADGATE (always with npm start's node flags, npmStartNodeFlags):
 *   build (default): `node <flags> <temp>/src/cli/main.js serve`, the working tree's
 *                    src/ transpiled for this run (build.ts), as `npm start` runs the built code;
 *   dist:            the same with the repo's dist/src/cli/main.js (npm run build; may lag src/);
 *   tsx:             `node --import tsx src/cli/main.ts serve` (adds ~80 MB RSS: not for `memory`).
 */
async function leadgateCommand(variant: boolean): Promise<{ flags: string[]; entry: string }> {
  const mode = process.env.BENCH_LEADGATE ?? 'build';
  if (mode === 'tsx') return { flags: ['--import', 'tsx'], entry: join(REPO, variant ? 'bench/experiments/variant-server.ts' : 'src/cli/main.ts') };
  const flags = npmStartNodeFlags();
  if (variant) return { flags, entry: (await build()).variantServer };
  if (mode === 'dist') {
    const entry = join(REPO, 'dist/src/cli/main.js');
    if (!existsSync(entry)) throw new Error('BENCH_LEADGATE=dist, but dist/src/cli/main.js is missing (npm run build)');
    return { flags, entry };
  }
  if (mode !== 'build') throw new Error(`BENCH_LEADGATE=${mode}: expected build, dist or tsx`);
  return { flags, entry: (await build()).leadgate };
}

/**
 * `leadgate serve` as a process of its own (see leadgateCommand). Settings are the product
 * defaults except what the benchmark needs (its API key, no demo, the rules folder, the store).
 * LOG_LEVEL stays `info` (one line per request, as in production; the log goes to a file) unless
 * BENCH_LOG_LEVEL says otherwise. BENCH_CPU_PROF=DIR adds `--cpu-prof` (written when it stops).
 */
export async function startLeadgate(
  name: string,
  options: {
    databaseUrl?: string;
    rulesDir: string;
    env?: Record<string, string>;
    /** diagnosis: bench/experiments/variant-server.ts with LEADGATE_VARIANT */
    variant?: string;
    /** called with the process as soon as it is spawned, before it answers (e.g. to sample its memory while it starts) */
    onSpawn?: (service: Service) => void;
  },
): Promise<Leadgate> {
  const temp = await benchTempDir();
  const port = await freePort();
  const { flags, entry } = await leadgateCommand(options.variant !== undefined);
  const dataDir = join(temp, `${name}-pglite`);
  const profDir = process.env.BENCH_CPU_PROF;
  const nodeArgs = [...EXIT_WITH_PARENT, ...flags, ...(profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-name', `${name}.cpuprofile`] : []), entry, 'serve'];
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'DATABASE_URL' || k === 'PORT' || k === 'RULES_DIR' || k.startsWith('LEADGATE_') || k === 'LOG_LEVEL' || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  Object.assign(env, {
    PORT: String(port),
    RULES_DIR: options.rulesDir,
    LEADGATE_API_KEYS: BENCH_API_KEY,
    LEADGATE_DEMO: '0',
    LEADGATE_DATA_DIR: dataDir,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    CRM_TOKEN,
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    ...(options.variant !== undefined ? { LEADGATE_VARIANT: options.variant } : {}),
    ...options.env,
  });
  const service = startService(`leadgate (${name})`, process.execPath, nodeArgs, { env, logFile: join(temp, `${name}.log`) });
  options.onSpawn?.(service);
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${base}/readyz`, 120_000, service.child, service.logFile);
  } catch (error) {
    await service.stop();
    throw error;
  }
  return { ...service, port, base, dataDir };
}

/** The echo reference, the CRM stub or the 0 ms Noojee (bench/harness/stub-server.ts) in a process of its own, as plain JavaScript. */
export async function startStub(mode: 'echo' | 'crm' | 'echo-stream' | 'echo-incoming' | 'noojee'): Promise<Service & { base: string }> {
  const temp = await benchTempDir();
  const port = await freePort();
  // plain JavaScript like leadgate (see leadgateCommand), unless BENCH_LEADGATE=tsx
  const args =
    process.env.BENCH_LEADGATE === 'tsx'
      ? [...CHILD_EXEC_ARGV, fileURLToPath(new URL('./stub-server.ts', import.meta.url))]
      : [...EXIT_WITH_PARENT, (await build()).stubServer];
  const service = startService(`${mode} server`, process.execPath, [...args, mode, String(port)], {
    env: { ...process.env, NODE_OPTIONS: '' },
    logFile: join(temp, `${mode}-${port}.log`),
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(mode === 'crm' ? base : `${base}/healthz`, 30_000, service.child, service.logFile);
  } catch (error) {
    await service.stop();
    throw error;
  }
  return { ...service, base };
}

/**
 * The duplicate-check comparison's servers: the 0 ms CRM stub, and two leadgates on fresh migrated
 * databases of `pg`, one plain (basic rules), one checking every insert with the stub. `name`
 * prefixes the databases, servers and rule folders.
 */
export async function startPlainAndChecked(pg: { freshDatabase(name: string): Promise<string> }, name: string) {
  const plainUrl = await pg.freshDatabase(`${name}_plain`);
  const checkedUrl = await pg.freshDatabase(`${name}_checked`);
  await migratePostgres(plainUrl);
  await migratePostgres(checkedUrl);
  const crm = await startStub('crm');
  const plain = await startLeadgate(`${name}-plain`, { databaseUrl: plainUrl, rulesDir: await writeBasicRules(`rules-${name}-plain`) });
  const checked = await startLeadgate(`${name}-checked`, { databaseUrl: checkedUrl, rulesDir: await writeCrmRules(`rules-${name}-checked`, crm.base) });
  return { crm, plain, checked, plainUrl, checkedUrl };
}
