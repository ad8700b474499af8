import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { DncChange, DncQuery } from '../../pipeline/ports.js';
import { e164Of } from './fields.js';
import { convosoError, ok, type ConvosoAnswer } from './render.js';
import type { ConvosoDeps, ConvosoRoute } from './routes.js';
import { dateBound, paging } from './search-params.js';

/** Convoso's word for "clear this text" in a DNC update. */
const BLANK = '-BLANK-';
const isAnswer = (value: unknown): value is ConvosoAnswer => typeof value === 'object' && value !== null && 'status' in value && 'body' in value;

/** /v1/dnc/insert, update, search and delete (SPEC 4); phone_code defaults to 1, as Convoso's does. */
export function addDncRoutes(route: ConvosoRoute, deps: ConvosoDeps): void {
  /** campaign_id as a DNC scope: "0" (or absent) is the global list, otherwise a campaign (6006). */
  const campaignOf = (text: string | undefined): number | ConvosoAnswer => {
    const t = text?.trim() || '0';
    const id = /^\d{1,9}$/.test(t) ? Number(t) : NaN;
    if (id === 0 || deps.rules.current().dialer.campaigns.has(id)) return id;
    return convosoError('invalidCampaign', `campaign_id must be 0 (global) or a campaign id, got '${t}'`);
  };
  const phoneOf = (p: Record<string, string>) => e164Of(p.phone_number, p.phone_code || '1', 'US');

  route('/dnc/insert', async (p) => {
    const e164 = phoneOf(p);
    if (!e164) return convosoError('invalidPhone');
    const campaignId = campaignOf(p.campaign_id);
    if (isAnswer(campaignId)) return campaignId;
    const id = await deps.store.insertDnc({ e164, campaignId, reason: p.reason?.trim() || null, purpose: p.purpose?.trim() || null, source: 'convoso' });
    return id === null ? convosoError('dncExists') : { status: 200, body: { success: true, id } };
  });

  route('/dnc/update', async (p) => {
    const id = p.id?.trim();
    if (!id || !/^\d{1,18}$/.test(id)) return convosoError('invalidId');
    const change: DncChange = {};
    if (p.phone_number?.trim()) {
      const e164 = phoneOf(p);
      if (!e164) return convosoError('invalidPhone');
      change.e164 = e164;
    }
    if (p.campaign_id?.trim()) {
      const campaignId = campaignOf(p.campaign_id);
      if (isAnswer(campaignId)) return campaignId;
      change.campaignId = campaignId;
    }
    for (const name of ['reason', 'purpose'] as const) {
      const text = p[name]?.trim();
      if (text) change[name] = text === BLANK ? null : text;
    }
    const outcome = await deps.store.updateDnc(id, change);
    if (outcome === 'notFound') return convosoError('invalidId');
    if (outcome === 'clash') return convosoError('dncClash');
    return { status: 200, body: { success: true, id } };
  });

  route('/dnc/search', async (p) => {
    const page = paging(p, { limit: 100, max: 1000 });
    if (isAnswer(page)) return page;
    const query: DncQuery = { ...page };
    const e164 = phoneOf(p);
    if (e164 === null) return convosoError('invalidPhone');
    if (e164) query.e164 = e164;
    if (p.campaign_id?.trim()) {
      const campaignId = campaignOf(p.campaign_id);
      if (isAnswer(campaignId)) return campaignId;
      query.campaignId = campaignId;
    }
    if (p.id?.trim()) query.id = p.id.trim();
    const reason = p.reason?.trim();
    if (reason) query.reason = reason === BLANK ? { blank: true } : reason === '-NOTBLANK-' ? { blank: false } : reason;
    if (p.purpose?.trim()) query.purpose = p.purpose.trim();
    const from = dateBound(p.insert_date, 'insert_date', false);
    if (isAnswer(from)) return from;
    if (from) {
      query.insertedFrom = from;
      query.insertedTo = dateBound(p.insert_date, 'insert_date', true) as Date;
    }
    const found = await deps.store.findDnc(query);
    const entries = found.entries.map((e) => {
      const number = parsePhoneNumberFromString(e.e164);
      return {
        id: e.id,
        phone_number: number?.nationalNumber ?? e.e164,
        phone_code: number?.countryCallingCode ?? null,
        campaign_id: String(e.campaignId),
        reason: e.reason,
        purpose: e.purpose ?? null,
        insert_date: e.createdAt.toISOString(),
      };
    });
    return ok({ offset: String(page.offset), limit: String(page.limit), total: String(found.total), entries });
  });

  route('/dnc/delete', async (p) => {
    const e164 = phoneOf(p);
    if (!e164) return convosoError('invalidPhone');
    const campaignId = campaignOf(p.campaign_id);
    if (isAnswer(campaignId)) return campaignId;
    return (await deps.store.removeDnc(e164, campaignId)) > 0 ? { status: 200, body: { success: true } } : convosoError('noSuchDnc');
  });
}
