// Rules folders in temp dirs, texts to edit them with, and the ways editors and tools write them.
import { appendFile, cp, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { CRM_TOKEN, crmConnect, crmTable } from '../../support/crm-rules.js';
import { BASIC_RULES } from '../../support/test-app.js';

export const ENV = { CRM_TOKEN, WATCH_HOOK_SECRET: 'watch-test-secret' };

const made: string[] = [];
export async function tempDir(prefix = 'leadgate-watch-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
export async function removeTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

export const DIALER = await readFile(join(BASIC_RULES, 'dialer.yaml'), 'utf8');
/** a valid dialer.yaml that differs from the fixture in one campaign's name */
export const dialerNamed = (n: number | string) => DIALER.replace('name: Solar October', `name: Solar ${n}`);
/** one more campaign line, valid when appended to dialer.yaml (campaigns is its last key; template 4 needs no named allocations) */
export const campaignLine = (id: number) => `  - { id: ${id}, name: Added ${id}, templateId: 4, allocations: [{ id: ${id}0, name: added-${id} }] }\n`;
/** refused by the loader: templates[0].country */
export const INVALID_DIALER = DIALER.replace('country: AU', 'country: QQ');

/** duplicate-check.yaml with `rows` last, so a row appended as a line keeps it valid */
export function duplicateCheck(reason = 'existing customer'): string {
  const { rows, ...rest } = crmTable();
  return stringify({ ...rest, rows: (rows as Array<Record<string, unknown>>).map((r, i) => (i === 0 ? { ...r, reason } : r)) });
}
export const rowLine = (n: number) => `  - { key: "$.note${n}", value: "n${n}", createLead: true, success: true }\n`;

export const connectYaml = (name: string) => stringify(crmConnect(`http://127.0.0.1:9/${name}`));
export const SOURCE_YAML = `version: 1
target: { templateId: 1, campaignId: 10, allocationId: 100 }
signature: { scheme: hmac-sha256, secrets: ["\${env:WATCH_HOOK_SECRET}"] }
eventId: $.eventId
fields: { phone: $.phone }
`;

/** A destination (SPEC 10.1) whose `maxConcurrency` tells its versions apart */
export const destinationYaml = (maxConcurrency: number) => `version: 1
kind: noojee
url: https://pbx.example.com
credentials: { apiKey: "\${env:CRM_TOKEN}" }
routes:
  - { match: { campaignId: 10 }, to: { templateId: 3, campaignId: 7, allocationId: 21 } }
maxConcurrency: ${maxConcurrency}
`;

/** The basic fixture plus a connect and a duplicate-check table: the folder most tests edit. */
export async function rulesFolder(): Promise<string> {
  const dir = await tempDir();
  await cp(BASIC_RULES, dir, { recursive: true });
  await mkdir(join(dir, 'connects'));
  await writeFile(join(dir, 'connects/crm.yaml'), connectYaml('crm'));
  await writeFile(join(dir, 'duplicate-check.yaml'), duplicateCheck());
  return dir;
}

/** What editors, `sed -i`, `mv` and configuration tools do: a temp file renamed over the original. */
export async function renameReplace(path: string, text: string): Promise<void> {
  const temp = join(dirname(path), `.${Math.random().toString(36).slice(2)}.tmp`);
  await writeFile(temp, text);
  await rename(temp, path);
}

/** Appends in place: asserts that the file keeps its inode, so the test really edits in place. */
export async function appendInPlace(path: string, text: string): Promise<void> {
  const before = (await stat(path)).ino;
  await appendFile(path, text);
  if ((await stat(path)).ino !== before) throw new Error(`${path} was replaced, not appended to`);
}

/** Truncates and writes in place (`>` in a shell, most writeFile calls); the inode stays. */
export async function truncateWrite(path: string, text: string): Promise<void> {
  const before = (await stat(path)).ino;
  await writeFile(path, text);
  if ((await stat(path)).ino !== before) throw new Error(`${path} was replaced, not written in place`);
}

