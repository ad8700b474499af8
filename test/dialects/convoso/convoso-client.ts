import { API_KEY, type TestApp } from '../../support/test-app.js';

/** The three ways Convoso's public clients send the same call. */
export type Way = 'get' | 'form' | 'json';
export const WAYS: readonly Way[] = ['get', 'form', 'json'];

export interface ConvosoReply {
  status: number;
  body: Record<string, unknown>;
}

/** One /v1 call with `auth_token` added: GET with a query string, or POST with a form or a JSON body. */
export async function convoso(app: TestApp['app'], path: string, params: Record<string, string>, way: Way = 'form'): Promise<ConvosoReply> {
  const all = { auth_token: API_KEY, ...params };
  const res =
    way === 'get'
      ? await app.request(`/v1/${path}?${new URLSearchParams(all)}`)
      : way === 'form'
        ? await app.request(`/v1/${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(all).toString() })
        : await app.request(`/v1/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(all) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

let serial = 0;
/** A national AU mobile number (without the trunk 0) no other test uses. */
export const freshMobile = (): string => `4${String(30_000_000 + (process.pid % 1000) * 9_973 + serial++ * 7919).slice(-8)}`;

/** Inserts a lead in list 100 (phone_code 61) and answers its id. */
export async function insertLead(app: TestApp['app'], params: Record<string, string> = {}): Promise<string> {
  const res = await convoso(app, 'leads/insert', { list_id: '100', phone_number: freshMobile(), phone_code: '61', check_dup: '0', ...params });
  const id = (res.body.data as { lead_id?: string } | undefined)?.lead_id;
  if (!id) throw new Error(`insert refused: ${JSON.stringify(res.body)}`);
  return id;
}
