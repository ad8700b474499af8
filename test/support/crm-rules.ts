import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startFakeCrm } from './fake-crm.js';
import { BASIC_RULES, createTestApp, type TestAppOptions } from './test-app.js';

export const CRM_TOKEN = 's3cret-crm-token-7781';

export function crmConnect(url: string, overrides: Record<string, unknown> = {}) {
  return {
    version: 1,
    url: `${url}/api/leads/lookup`,
    method: 'POST',
    headers: { Authorization: 'Bearer ${env:CRM_TOKEN}' },
    body: 'json',
    response: 'json',
    timeoutMs: 1000,
    retries: 1,
    maxConcurrency: 4,
    allowPrivateNetwork: true,
    circuit: { failureThreshold: 1000, openMs: 60_000 },
    adaptor: [
      { field: 'phone', mappedTo: 'phone_number' },
      { field: 'mobile', mappedTo: 'contact.mobile' },
      { field: 'email', mappedTo: 'contact.email', default: '' },
      { field: 'njExternalLeadId', mappedTo: 'external_id' },
    ],
    ...overrides,
  };
}

export function crmTable(overrides: Record<string, unknown> = {}) {
  return {
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
    ...overrides,
  };
}

/** The basic fixture plus a connect to `crmUrl` and a duplicate-check table, in a fresh folder. */
export async function rulesWithCrm(crmUrl: string, options: { connect?: Record<string, unknown>; table?: Record<string, unknown> } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'leadgate-crm-rules-'));
  await cp(BASIC_RULES, dir, { recursive: true });
  await mkdir(join(dir, 'connects'), { recursive: true });
  await writeFile(join(dir, 'connects/crm.yaml'), stringify(crmConnect(crmUrl, options.connect)));
  await writeFile(join(dir, 'duplicate-check.yaml'), stringify(crmTable(options.table)));
  return dir;
}

/**
 * The usual setup of a test file that needs a CRM: a loopback fake CRM, a rules folder pointing
 * at it, and the app over a fresh database. `close()` undoes all three.
 */
export async function createAppWithCrm(options: { connect?: Record<string, unknown>; table?: Record<string, unknown>; app?: Omit<TestAppOptions, 'rulesDir' | 'env'> } = {}) {
  const crm = await startFakeCrm();
  const rulesDir = await rulesWithCrm(crm.url, options);
  const t = await createTestApp({ ...options.app, rulesDir, env: { CRM_TOKEN } });
  return {
    crm,
    rulesDir,
    t,
    async close() {
      await t.close();
      await crm.close();
      await rm(rulesDir, { recursive: true, force: true });
    },
  };
}
