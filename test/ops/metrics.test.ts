import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppWithCrm } from '../support/crm-rules.js';
import type { FakeCrm } from '../support/fake-crm.js';
import { postNoojee, type TestApp } from '../support/test-app.js';

let crm: FakeCrm;
let t: TestApp;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ crm, t, close } = await createAppWithCrm({ connect: { retries: 0 } }));
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

    const res = await t.app.request('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const m = samples(await res.text());
    const route = '/servicemanager/rest/CampaignAPI/insertLeadFast';
    expect(m.get(`leadgate_requests_total{route="${route}",status="200",code="0"}`)).toBe(2);
    expect(m.get(`leadgate_requests_total{route="${route}",status="400",code="105"}`)).toBe(1);
    expect(m.get(`leadgate_requests_total{route="${route}",status="401",code="401"}`)).toBe(1);
    expect(m.get(`leadgate_request_duration_seconds_count{route="${route}"}`)).toBe(4);
    expect(m.get('leadgate_crm_calls_total{connect="crm",outcome="ok"}')).toBe(1);
    expect(m.get('leadgate_crm_calls_total{connect="crm",outcome="status"}')).toBe(1);
    expect(m.get('leadgate_crm_circuit_state{connect="crm"}')).toBe(0);
    expect(m.get('leadgate_gate_queue_length')).toBe(0);
    expect(m.get('leadgate_gate_in_flight')).toBe(0);
    expect(m.get('leadgate_gate_wait_seconds_count')).toBe(3);
    expect(m.get('leadgate_gate_timeouts_total')).toBe(0);
  });
});
