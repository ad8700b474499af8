import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboxWorker } from '../../src/outbox/worker.js';
import { createOutboxStore } from '../../src/store/outbox-store.js';
import { crmConnect } from '../support/crm-rules.js';
import { startFakeCrm, type FakeCrm } from '../support/fake-crm.js';
import { BASIC_RULES, createTestApp, postNoojee, type TestApp } from '../support/test-app.js';
import { openTestBackend, type TestBackend } from '../support/test-backend.js';

let receiver: FakeCrm;
let backend: TestBackend;
let rulesDir: string;
beforeAll(async () => {
  receiver = await startFakeCrm();
  backend = await openTestBackend();
  rulesDir = await mkdtemp(join(tmpdir(), 'leadgate-webhook-rules-'));
  await cp(BASIC_RULES, rulesDir, { recursive: true });
  const dialer = await readFile(join(rulesDir, 'dialer.yaml'), 'utf8');
  await writeFile(join(rulesDir, 'dialer.yaml'), dialer.replace('      - { code: busy }\n', '      - { code: busy }\n      - { code: Notify, actions: [{ webhook: notify-crm }] }\n'));
  const connect = crmConnect(receiver.url, {
    url: `${receiver.url}/hooks/disposition`,
    headers: {},
    retries: 0,
    adaptor: [
      { field: 'leadId', mappedTo: 'lead.id' },
      { field: 'njExternalLeadId', mappedTo: 'lead.externalId' },
      { field: 'njDisposition', mappedTo: 'disposition' },
      { field: 'phone', mappedTo: 'lead.phone' },
      { field: 'surname', mappedTo: 'lead.surname' },
    ],
  });
  await mkdir(join(rulesDir, 'connects'), { recursive: true });
  await writeFile(join(rulesDir, 'connects', 'notify-crm.yaml'), stringify(connect));
});
afterAll(async () => {
  await backend.close();
  await receiver.close();
  await rm(rulesDir, { recursive: true, force: true });
});

const worker = (t: TestApp) =>
  createOutboxWorker({ store: createOutboxStore(backend.runner), crm: t.crm, rules: t.rules, logger: t.logger, baseBackoffMs: 1, maxBackoffMs: 1 });

async function untilDelivered(run: () => Promise<unknown>, deliveryCount: () => number, expected: number) {
  for (let i = 0; i < 200 && deliveryCount() < expected; i += 1) {
    await run();
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('disposition webhooks through the outbox', () => {
  it('are delivered at least once with one delivery id, after failures and across a restart', async () => {
    const first = await createTestApp({ backend, rulesDir });
    const inserted = await postNoojee(first.app, 'insertLeadFast', { phone: '0412 777 001', surname: 'Hook', njExternalLeadId: 'W-1' });
    expect(inserted.body.code).toBe(0);
    const updated = await postNoojee(first.app, 'updateLeadFast', { njExternalLeadId: 'W-1', phone: '<No Change>', njDisposition: 'notify' }, { fAllocationId: null });
    expect(updated.body.code).toBe(0);
    // nothing is sent inside the request: the entry waits in the outbox
    expect(receiver.requests).toHaveLength(0);

    receiver.respond([{ status: 503, json: {} }, { kind: 'reset' }, { status: 200, json: { ok: true } }]);
    // two failing attempts by the first process...
    const w1 = worker(first);
    for (let i = 0; i < 50 && receiver.requests.length < 2; i += 1) {
      await w1.runOnce();
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(receiver.requests).toHaveLength(2);
    const pending = await backend.runner.query<{ attempts: number; delivered_at: Date | null; last_error: string }>('select attempts, delivered_at, last_error from outbox');
    expect(pending).toEqual([{ attempts: 2, delivered_at: null, last_error: expect.stringMatching(/^network: /) }]);

    // ...then leadgate "restarts": a new app and worker on the same database deliver it
    const second = await createTestApp({ backend, rulesDir });
    await untilDelivered(() => worker(second).runOnce(), () => receiver.requests.length, 3);
    expect(receiver.requests).toHaveLength(3);
    const keys = new Set(receiver.requests.map((r) => r.headers['idempotency-key']));
    expect(keys.size).toBe(1);
    expect(JSON.parse(receiver.requests[2]!.body)).toEqual({
      lead: { id: inserted.body.leadId, externalId: 'W-1', phone: '+61412777001', surname: 'Hook' },
      disposition: 'Notify',
    });
    const done = await backend.runner.query<{ attempts: number; delivered: boolean }>('select attempts, delivered_at is not null as delivered from outbox');
    expect(done).toEqual([{ attempts: 3, delivered: true }]);
    // delivered entries are not sent again
    await worker(second).runOnce();
    expect(receiver.requests).toHaveLength(3);
  });
});
