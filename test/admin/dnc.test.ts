import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminActor } from '../../src/admin/routes.js';
import { admin, createAdminTestApp } from '../support/admin.js';
import { ADMIN_TOKEN, postNoojee, type TestApp } from '../support/test-app.js';

let t: TestApp;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ t, close } = await createAdminTestApp());
});
afterAll(() => close());

const insert = (phone: string, campaign = { fCampaignId: 10, fAllocationId: 100 }) => postNoojee(t.app, 'insertLeadFast', { phone }, campaign).then((r) => r.body.code);

describe('POST and DELETE /admin/dnc', () => {
  it('adds a number in any form the template country parses, refuses it at insert, and deletes it again', async () => {
    const added = await admin(t.app, 'POST', '/admin/dnc', { body: { phone: '03 8320 8134', reason: 'asked not to be called' } });
    expect(added.status).toBe(201);
    expect(added.json).toEqual({ phone: '+61383208134', campaignId: 0, added: true });
    const again = await admin(t.app, 'POST', '/admin/dnc', { body: { phone: '+61 3 8320 8134', reason: 'again' } });
    expect(again.status).toBe(200);
    expect(again.json).toEqual({ phone: '+61383208134', campaignId: 0, added: false });
    expect(await insert('0383208134')).toBe(104);

    const removed = await admin(t.app, 'DELETE', '/admin/dnc?phone=383208134');
    expect(removed.status).toBe(200);
    expect(removed.json).toEqual({ phone: '+61383208134', campaignId: 0, removed: true });
    expect(await insert('0383208134')).toBe(0);
    const gone = await admin(t.app, 'DELETE', `/admin/dnc?phone=${encodeURIComponent('+61383208134')}`);
    expect(gone.status).toBe(404);
    expect(gone.json).toEqual({ error: '+61383208134 is not on the DNC list of campaign 0' });
  });

  it('keeps a campaign entry to its campaign', async () => {
    const added = await admin(t.app, 'POST', '/admin/dnc', { body: { phone: '0412 000 111', reason: 'campaign only', campaignId: 11 } });
    expect(added.json).toEqual({ phone: '+61412000111', campaignId: 11, added: true });
    expect(await insert('0412000111', { fCampaignId: 11, fAllocationId: 110 })).toBe(104);
    expect(await insert('0412000111')).toBe(0);
    expect((await admin(t.app, 'DELETE', '/admin/dnc?phone=0412000111')).status).toBe(404);
    const removed = await admin(t.app, 'DELETE', '/admin/dnc?phone=0412000111&campaignId=11');
    expect(removed.json).toEqual({ phone: '+61412000111', campaignId: 11, removed: true });
  });

  it.each([
    [{ phone: '0383208135' }, 400, { error: 'invalid body: reason: Invalid input: expected string, received undefined' }],
    [{ phone: '0383208135', reason: '' }, 400, { error: 'invalid body: reason: Too small: expected string to have >=1 characters' }],
    [{ phone: 'not a number', reason: 'x' }, 400, { error: "phone: 'not a number' is not a phone number (read with country AU)" }],
    [{ phone: '0383208135', reason: 'x', campaignId: 99 }, 422, { error: 'campaignId 99 names no campaign' }],
    [{ phone: '0383208135', reason: 'x', campaignId: '10' }, 400, { error: 'invalid body: campaignId: Invalid input: expected number, received string' }],
    [{ phone: '0383208135', reason: 'x', scope: 'global' }, 400, { error: 'invalid body: Unrecognized key: "scope"' }],
    ['{"phone":', 400, { error: 'the body is not valid JSON: it ends early at line 1, column 10 (expected a value)' }],
  ])('refuses the body %j', async (body, status, answer) => {
    const res = await admin(t.app, 'POST', '/admin/dnc', { body, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(status);
    expect(res.json).toEqual(answer);
  });

  it.each([
    ['', { error: 'invalid query: phone: Invalid input: expected string, received undefined' }],
    ['?phone=0383208135&campaignId=x', { error: 'invalid query: campaignId: expected a whole number' }],
    ['?phone=12', { error: "phone: '12' is not a phone number (read with country AU)" }],
  ])('refuses the delete query %j', async (query, answer) => {
    const res = await admin(t.app, 'DELETE', `/admin/dnc${query}`);
    expect(res.status).toBe(400);
    expect(res.json).toEqual(answer);
  });

  it('records every change in the audit log, newest first', async () => {
    await admin(t.app, 'POST', '/admin/dnc', { body: { phone: '0383208199', reason: 'audit me' } });
    await admin(t.app, 'DELETE', '/admin/dnc?phone=0383208199');
    const res = await admin(t.app, 'GET', '/admin/audit?limit=2');
    const entry = (action: string, detail: Record<string, unknown>) => ({
      id: expect.any(String),
      actor: adminActor(ADMIN_TOKEN),
      action,
      target: '+61383208199',
      beforeSha256: null,
      afterSha256: null,
      detail,
      requestId: expect.any(String),
      createdAt: expect.any(String),
    });
    expect(res.json).toEqual({
      offset: 0,
      limit: 2,
      total: 7,
      entries: [entry('DELETE /admin/dnc', { campaignId: 0 }), entry('POST /admin/dnc', { campaignId: 0, reason: 'audit me', added: true })],
    });
    const page = await admin(t.app, 'GET', '/admin/audit?limit=2&offset=6');
    expect((page.json.entries as Array<{ detail: unknown }>).map((e) => e.detail)).toEqual([{ campaignId: 0, reason: 'asked not to be called', added: true }]);
  });
});
