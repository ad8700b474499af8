import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin } from '../support/admin.js';
import { createAppWithCrm } from '../support/crm-rules.js';
import type { FakeCrm } from '../support/fake-crm.js';
import { postNoojee, type TestApp } from '../support/test-app.js';

let crm: FakeCrm;
let t: TestApp;
let close: () => Promise<void>;
let rulesDir: string;
beforeAll(async () => {
  ({ crm, t, close, rulesDir } = await createAppWithCrm({ connect: { retries: 0 } }));
});
afterAll(() => close());

/** `name{labels} value` lines of the Prometheus text format, as a map. */
function samples(text: string): Map<string, number> {
  const map = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const at = line.lastIndexOf(' ');
    map.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return map;
}

describe('GET /metrics', () => {
  it('counts requests by route, status and result code, CRM calls by outcome, and shows the gate', async () => {
    crm.respond({ json: {} });
    expect((await postNoojee(t.app, 'insertLeadFast', { phone: '0419000001' })).body.code).toBe(0);
    expect((await postNoojee(t.app, 'insertLeadFast', { phone: '0419000001' })).body.code).toBe(105);
    crm.respond({ status: 500, json: {} });
    expect((await postNoojee(t.app, 'insertLeadFast', { phone: '0419000002' })).body.code).toBe(0);
    expect((await postNoojee(t.app, 'insertLeadFast', { phone: '0419000003' }, { apiKey: 'wrong' })).status).toBe(401);
    expect((await t.app.request('/servicemanager/rest/CampaignAPI/insertLeadFast')).status).toBe(405);

    const res = await t.app.request('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const m = samples(await res.text());
    const route = '/servicemanager/rest/CampaignAPI/insertLeadFast';
    expect(m.get(`leadgate_requests_total{route="${route}",status="200",code="0"}`)).toBe(2);
    expect(m.get(`leadgate_requests_total{route="${route}",status="400",code="105"}`)).toBe(1);
    expect(m.get(`leadgate_requests_total{route="${route}",status="401",code="401"}`)).toBe(1);
    expect(m.get(`leadgate_requests_total{route="${route}",status="405",code="405"}`)).toBe(1);
    expect(m.get(`leadgate_request_duration_seconds_count{route="${route}"}`)).toBe(5);
    expect(m.get('leadgate_crm_calls_total{connect="crm",outcome="ok"}')).toBe(1);
    expect(m.get('leadgate_crm_calls_total{connect="crm",outcome="status"}')).toBe(1);
    expect(m.get('leadgate_crm_circuit_state{connect="crm"}')).toBe(0);
    expect(m.get('leadgate_gate_queue_length')).toBe(0);
    expect(m.get('leadgate_gate_in_flight')).toBe(0);
    expect(m.get('leadgate_gate_wait_seconds_count')).toBe(3);
    expect(m.get('leadgate_gate_timeouts_total')).toBe(0);
  });
});

describe('GET /metrics after rule reloads and decisions', () => {
  const read = async () => samples(await (await t.app.request('/metrics')).text());

  it('counts decision records by outcome, and rule reloads by result (admin writes included)', async () => {
    const before = await read();
    const delta = (after: Map<string, number>, name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);

    crm.respond({ json: { customer: { status: 'active' } } });
    expect((await postNoojee(t.app, 'insertLeadFast', { phone: '0419000011' })).body.code).toBe(105);
    crm.respond({ json: { customer: { score: 10 } } });
    expect((await postNoojee(t.app, 'insertLeadFast', { phone: '0419000012' })).body.code).toBe(205);
    crm.respond({ json: {} });
    expect((await postNoojee(t.app, 'insertLeadFast', { phone: '0419000013' })).body.code).toBe(0);

    const dialer = join(rulesDir, 'dialer.yaml');
    const text = await readFile(dialer, 'utf8');
    const etag = createHash('sha256').update(text).digest('hex');
    expect((await admin(t.app, 'PUT', '/admin/rules/dialer.yaml', { body: `${text}# edited\n`, headers: { 'if-match': etag } })).status).toBe(200);
    await writeFile(dialer, text.replace('country: AU', 'country: QQ'));
    expect((await t.reloader!.reload()).ok).toBe(false);
    await writeFile(dialer, text);
    expect((await t.reloader!.reload()).ok).toBe(true);

    const after = await read();
    expect(delta(after, 'leadgate_decisions_total{outcome="skipped"}')).toBe(1);
    expect(delta(after, 'leadgate_decisions_total{outcome="created"}')).toBe(2);
    expect(delta(after, 'leadgate_rules_reloads_total{result="ok"}')).toBe(2);
    expect(delta(after, 'leadgate_rules_reloads_total{result="rejected"}')).toBe(1);
    const decisions = await admin(t.app, 'GET', '/admin/decisions');
    const listed = (decisions.json.entries as Array<{ outcome: string }>).map((e) => e.outcome);
    expect(after.get('leadgate_decisions_total{outcome="created"}')).toBe(listed.filter((o) => o === 'created').length);
  });
});
