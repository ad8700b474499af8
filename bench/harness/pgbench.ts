import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { benchTempDir } from './servers.js';
import type { ThrowawayPostgres } from './postgres-server.js';

const run = promisify(execFile);
let runs = 0;

/**
 * The reference for single inserts: one lead insert as pgbench's custom script, the four
 * statements of SPEC 9 in one transaction: the DNC lookup, the duplicate lookup in the checked
 * scope, the lead row, and its phone claims in the three scopes (a100, c10, g), with the same
 * columns and a `fields` document of the same shape and size leadgate stores. Phones are unique:
 * each client counts its own (`k`, kept between transactions) from a base of its own per pgbench
 * run, in 0470 000 000 – 0479 999 999, a range no HTTP load uses. Prepared statements, as leadgate uses.
 */
export const PGBENCH_INSERT_SCRIPT = `
\\set k :k + 1
\\set n :base + :client_id * 100000 + :k
BEGIN;
SELECT 1 FROM dnc WHERE e164 = '+614' || :n AND campaign_id IN (0, 10) LIMIT 1;
SELECT lead_id FROM phone_claims WHERE scope = 'c10' AND e164 = '+614' || :n;
INSERT INTO leads (template_id, campaign_id, allocation_id, external_id, status, callback_at, priority, contact_hours, fields, phones) VALUES (1, 10, 100, 'pgb' || :n, NULL, NULL, 10, 'Melbourne', ('{"phone": "+614' || :n || '", "firstName": "Sam", "surname": "Benchmark", "email": "leadpgb' || :n || '@example.com", "postcode": "3000", "state": "VIC", "source": "bench"}')::jsonb, ARRAY['+614' || :n]) RETURNING id \\gset
INSERT INTO phone_claims (scope, e164, lead_id) VALUES ('c10', '+614' || :n, :id), ('a100', '+614' || :n, :id), ('g', '+614' || :n, :id);
END;
`;

export interface PgbenchResult {
  tps: number;
  transactions: number;
  failed: number;
  latencyMs: number;
  output: string;
}

export async function runPgbench(pg: ThrowawayPostgres, database: string, options: { clients: number; seconds: number; script?: string; name?: string }): Promise<PgbenchResult> {
  const file = join(await benchTempDir(), `${options.name ?? 'pgbench'}.sql`);
  await writeFile(file, options.script ?? PGBENCH_INSERT_SCRIPT);
  const args = ['-h', '127.0.0.1', '-p', String(pg.port), '-U', 'leadgate', '-n', '-M', 'prepared', '-c', String(options.clients), '-j', '2', '-T', String(options.seconds), '-D', 'k=0', '-D', `base=${70_000_000 + 2_000_000 * runs++}`, '-f', file, database];
  const { stdout, stderr } = await run(join(pg.bin, 'pgbench'), args, { timeout: (options.seconds + 60) * 1000, maxBuffer: 16 << 20 });
  const output = `${stdout}\n${stderr}`;
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(output)?.[1] ?? NaN);
  const transactions = Number(/number of transactions actually processed: (\d+)/.exec(output)?.[1] ?? NaN);
  const failed = Number(/number of failed transactions: (\d+)/.exec(output)?.[1] ?? 0);
  const latencyMs = Number(/latency average = ([\d.]+) ms/.exec(output)?.[1] ?? NaN);
  if (!Number.isFinite(tps) || /aborted/.test(stderr)) throw new Error(`pgbench failed:\n${output}`);
  return { tps, transactions, failed, latencyMs, output };
}
