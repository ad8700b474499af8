import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyClaims, matchKey, type MatchKey } from '../../src/leads/match-keys.js';
import type { InsertOutcome, LeadStore, NewLead } from '../../src/pipeline/ports.js';
import { backfillStep, openBackfills, planBackfills, type BackfillTemplate } from '../../src/store/dedupe-backfill.js';
import { createLeadStore } from '../../src/store/lead-store.js';
import { openPostgresBackend } from '../../src/store/backends/postgres.js';
import { newLead } from '../support/new-lead.js';
import { openTestBackend, SERVER_URL, type TestBackend } from '../support/test-backend.js';

/*
 * SPEC 3.1 long form of `dedupe`, in the store: each match key alone and together, windows at
 * their edge (an injected clock), duplicates inside a batch, races for an expired claim, and a
 * template changed while leads exist. Every case runs through both write paths: the one-statement
 * insert of a lone lead and the set-based batch (which concurrent single inserts also take).
 */

const PHONE = matchKey('phone');
const EMAIL = matchKey('email');
const NAME_PHONE = matchKey(['firstName', 'lastName', 'phone']);

let backend: TestBackend;
let now = new Date('2026-01-01T00:00:00Z');
let store: LeadStore;
beforeAll(async () => {
  backend = await openTestBackend();
  store = createLeadStore(backend.runner, { clock: () => now, backfill: false });
});
afterAll(async () => {
  await backend.close();
});

let serial = 0;
const uniquePhone = () => `+614170${String((serial += 1)).padStart(5, '0')}`;
const uniqueEmail = (name = 'sam') => `${name}.${(serial += 1)}@example.com`;

interface LeadSpec {
  phone: string;
  email?: string;
  firstName?: string;
  lastName?: string;
}

/** A lead as validation would hand it over for a template with `on` keys, scope campaign, `windowDays` days. */
function lead(spec: LeadSpec, on: readonly MatchKey[], windowDays: number | null = null, extra: Partial<NewLead> = {}): NewLead {
  const fields = Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const claims = keyClaims(on, fields, [spec.phone]);
  return newLead(spec.phone, {
    fields,
    dedupe: on.some((k) => k.name === 'phone') ? 'campaign' : 'none',
    ...(windowDays !== null ? { windowDays } : {}),
    ...(claims.length > 0 ? { keys: { scope: 'campaign' as const, check: true, claims } } : {}),
    ...extra,
  });
}

type Path = 'single' | 'batch';
const PATHS: Path[] = ['single', 'batch'];

/** Writes `leads` one call each ('single': the one-statement insert) or in one call ('batch'). */
async function write(path: Path, leads: NewLead[]): Promise<InsertOutcome[]> {
  if (path === 'batch') return store.insertLeads(leads);
  const outcomes: InsertOutcome[] = [];
  for (const l of leads) outcomes.push(...(await store.insertLeads([l])));
  return outcomes;
}

const idOf = (o: InsertOutcome | undefined) => (o?.kind === 'inserted' ? o.leadId : `not inserted: ${JSON.stringify(o)}`);
const dup = (matchedOn: string, matchedLeadId: string | null) => ({ kind: 'duplicate', matchedOn, matchedLeadId });

describe.each(PATHS)('match keys (%s)', (path) => {
  it('phone alone: the same phone is a duplicate, the same email is not', async () => {
    const phone = uniquePhone();
    const email = uniqueEmail();
    const [first, samePhone, sameEmail] = await write(path, [
      lead({ phone, email }, [PHONE]),
      lead({ phone, email: uniqueEmail() }, [PHONE]),
      lead({ phone: uniquePhone(), email }, [PHONE]),
    ]);
    expect(samePhone).toEqual(dup('phone', idOf(first)));
    expect(sameEmail!.kind).toBe('inserted');
  });

  it('email alone: trimmed and lower-cased; the same phone with another email is not a duplicate', async () => {
    const email = uniqueEmail('Ada');
    const phone = uniquePhone();
    const [first, sameEmail, samePhone] = await write(path, [
      lead({ phone, email }, [EMAIL]),
      lead({ phone: uniquePhone(), email: `  ${email.toUpperCase()} ` }, [EMAIL]),
      lead({ phone, email: uniqueEmail() }, [EMAIL]),
    ]);
    expect(sameEmail).toEqual(dup('email', idOf(first)));
    expect(samePhone!.kind).toBe('inserted');
  });

  it('first name + last name + phone: names case-folded and NFKC-normalised; all three must match', async () => {
    const phone = uniquePhone();
    const [first, same, otherPhone, otherName] = await write(path, [
      lead({ phone, firstName: 'Zoë', lastName: 'Straße' }, [NAME_PHONE]),
      // fullwidth letters (NFKC), another case, ß folded like SS, spaces trimmed
      lead({ phone, firstName: ' ＺＯË ', lastName: 'STRASSE' }, [NAME_PHONE]),
      lead({ phone: uniquePhone(), firstName: 'Zoë', lastName: 'Straße' }, [NAME_PHONE]),
      lead({ phone, firstName: 'Zoe', lastName: 'Straße' }, [NAME_PHONE]),
    ]);
    expect(same).toEqual(dup('firstName+lastName+phone', idOf(first)));
    expect(otherPhone!.kind).toBe('inserted');
    expect(otherName!.kind).toBe('inserted');
  });

  it('a key with an empty field claims nothing and matches nothing', async () => {
    const [a, b] = await write(path, [lead({ phone: uniquePhone(), email: '  ' }, [EMAIL]), lead({ phone: uniquePhone(), email: '' }, [EMAIL])]);
    expect([a!.kind, b!.kind]).toEqual(['inserted', 'inserted']);
  });

  it('all keys together: ANY key matching is a duplicate, the phone named first when several match', async () => {
    const on = [PHONE, EMAIL, NAME_PHONE];
    const phone = uniquePhone();
    const email = uniqueEmail();
    const [first, byEmail, byPhoneAndEmail, byName, fresh] = await write(path, [
      lead({ phone, email, firstName: 'Kim', lastName: 'Lee' }, on),
      lead({ phone: uniquePhone(), email, firstName: 'Other', lastName: 'Person' }, on),
      lead({ phone, email, firstName: 'Kim', lastName: 'Lee' }, on),
      lead({ phone, email: uniqueEmail(), firstName: 'kim', lastName: 'LEE' }, [EMAIL, NAME_PHONE]),
      lead({ phone: uniquePhone(), email: uniqueEmail(), firstName: 'Kim', lastName: 'Lee' }, on),
    ]);
    expect(byEmail).toEqual(dup('email', idOf(first)));
    expect(byPhoneAndEmail).toEqual(dup('phone', idOf(first)));
    expect(byName).toEqual(dup('firstName+lastName+phone', idOf(first)));
    expect(fresh!.kind).toBe('inserted');
  });

  it('allowDuplicates (nothing checked) still registers the claims for later leads', async () => {
    const email = uniqueEmail();
    const checked = (spec: LeadSpec) => lead(spec, [EMAIL]);
    const unchecked = (spec: LeadSpec) => {
      const l = checked(spec);
      return { ...l, dedupe: 'none' as const, keys: { ...l.keys!, check: false } };
    };
    const [a, b, c] = await write(path, [checked({ phone: uniquePhone(), email }), unchecked({ phone: uniquePhone(), email }), checked({ phone: uniquePhone(), email })]);
    expect(b!.kind).toBe('inserted');
    expect(c).toEqual(dup('email', idOf(a)));
  });
});

describe.each(PATHS)('windows at their edge (%s)', (path) => {
  const DAY = 24 * 3600 * 1000;
  const MINUTE = 60 * 1000;

  it('a lead created 90 days minus a minute ago counts; 90 days plus a minute ago does not, and its claim is taken over', async () => {
    const on = [PHONE, EMAIL];
    const phone = uniquePhone();
    const email = uniqueEmail();
    const t0 = new Date('2026-02-01T10:00:00Z');
    now = t0;
    const [old] = await write(path, [lead({ phone, email }, on, 90)]);
    now = new Date(t0.getTime() + 90 * DAY - MINUTE);
    const [inside, insideByEmail] = await write(path, [lead({ phone, email: uniqueEmail() }, on, 90), lead({ phone: uniquePhone(), email }, on, 90)]);
    expect(inside).toEqual(dup('phone', idOf(old)));
    expect(insideByEmail).toEqual(dup('email', idOf(old)));

    now = new Date(t0.getTime() + 90 * DAY + MINUTE);
    const [outside] = await write(path, [lead({ phone, email }, on, 90)]);
    expect(outside!.kind).toBe('inserted');
    // the new lead holds both claims now, from its own creation: the next one is its duplicate
    const [next] = await write(path, [lead({ phone: uniquePhone(), email }, on, 90)]);
    expect(next).toEqual(dup('email', idOf(outside)));
    const holders = await backend.runner.query<{ lead_id: string; created_at: Date }>(
      `select lead_id::text, created_at from key_claims where key = 'email' and value = $1`,
      [email],
    );
    expect(holders.map((h) => [h.lead_id, new Date(h.created_at).toISOString()])).toEqual([[idOf(outside), now.toISOString()]]);
    now = new Date('2026-01-01T00:00:00Z');
  });

  it('exactly at the window the old lead no longer counts; without a window it counts forever', async () => {
    const phone = uniquePhone();
    const t0 = new Date('2026-03-01T00:00:00Z');
    now = t0;
    await write(path, [lead({ phone }, [PHONE], 30)]);
    now = new Date(t0.getTime() + 30 * DAY);
    expect((await write(path, [lead({ phone }, [PHONE], 30)]))[0]!.kind).toBe('inserted');
    now = new Date(t0.getTime() + 3650 * DAY);
    expect((await write(path, [lead({ phone }, [PHONE])]))[0]!.kind).toBe('duplicate');
    now = new Date('2026-01-01T00:00:00Z');
  });
});

describe('duplicates inside one batch', () => {
  it('by email: the earlier lead of the batch wins, the later ones name it', async () => {
    const email = uniqueEmail();
    const outcomes = await store.insertLeads([
      lead({ phone: uniquePhone(), email }, [PHONE, EMAIL]),
      lead({ phone: uniquePhone(), email: email.toUpperCase() }, [PHONE, EMAIL]),
      lead({ phone: uniquePhone(), email: uniqueEmail() }, [PHONE, EMAIL]),
      lead({ phone: uniquePhone(), email: ` ${email}` }, [PHONE, EMAIL]),
    ]);
    const first = idOf(outcomes[0]);
    expect(outcomes.slice(1)).toEqual([dup('email', first), { kind: 'inserted', leadId: expect.any(String) }, dup('email', first)]);
  });

  it('a lead that lost its email only to an earlier lead of the batch that was itself a duplicate is inserted', async () => {
    const existing = uniquePhone();
    await store.insertLeads([lead({ phone: existing, email: uniqueEmail() }, [PHONE, EMAIL])]);
    const email = uniqueEmail();
    const outcomes = await store.insertLeads([
      lead({ phone: existing, email }, [PHONE, EMAIL]), // a duplicate by phone: rolled back
      lead({ phone: uniquePhone(), email }, [PHONE, EMAIL]), // so the email is free for this one
    ]);
    expect(outcomes[0]).toMatchObject({ kind: 'duplicate', matchedOn: 'phone' });
    expect(outcomes[1]!.kind).toBe('inserted');
  });

  it('two leads of one batch wanting the same expired claim: the first takes it over, the second is its duplicate', async () => {
    const email = uniqueEmail();
    now = new Date('2026-04-01T00:00:00Z');
    await store.insertLeads([lead({ phone: uniquePhone(), email }, [EMAIL], 10)]);
    now = new Date('2026-05-01T00:00:00Z');
    const outcomes = await store.insertLeads([lead({ phone: uniquePhone(), email }, [EMAIL], 10), lead({ phone: uniquePhone(), email }, [EMAIL], 10)]);
    expect(outcomes[1]).toEqual(dup('email', idOf(outcomes[0])));
    now = new Date('2026-01-01T00:00:00Z');
  });
});

describe('races for one claim', () => {
  /** more stores (pools) on the same database, when there is a server; PGlite has one connection */
  async function stores(n: number): Promise<{ stores: LeadStore[]; close(): Promise<void> }> {
    if (!SERVER_URL || !backend.url) return { stores: Array.from({ length: n }, () => store), close: async () => {} };
    const backends = await Promise.all(Array.from({ length: n }, () => openPostgresBackend(backend.url!, { poolSize: 10 })));
    return {
      stores: backends.map((b) => createLeadStore(b.runner, { clock: () => now, backfill: false })),
      close: async () => {
        await Promise.all(backends.map((b) => b.close()));
      },
    };
  }

  it('a takeover of an expired claim racing other takeovers and batches: exactly one lead gets it', async () => {
    const email = uniqueEmail();
    now = new Date('2026-06-01T00:00:00Z');
    const [old] = await store.insertLeads([lead({ phone: uniquePhone(), email }, [EMAIL], 7)]);
    now = new Date('2026-06-09T00:00:00Z');
    const { stores: many, close } = await stores(3);
    try {
      const attempts = await Promise.all([
        // lone leads: the one-statement insert (ON CONFLICT DO UPDATE … WHERE expired)
        ...Array.from({ length: 20 }, (_, i) => many[i % many.length]!.insertLeads([lead({ phone: uniquePhone(), email }, [EMAIL], 7)])),
        // batches: the locked takeover of insert-batch.ts
        ...Array.from({ length: 5 }, (_, i) =>
          many[i % many.length]!.insertLeads([lead({ phone: uniquePhone(), email }, [EMAIL], 7), lead({ phone: uniquePhone(), email: uniqueEmail() }, [EMAIL], 7)]),
        ),
      ]);
      const forEmail = attempts.map((outcomes) => outcomes[0]!);
      const winners = forEmail.filter((o) => o.kind === 'inserted');
      expect(winners).toHaveLength(1);
      const winner = idOf(winners[0]);
      expect(winner).not.toBe(idOf(old));
      for (const o of forEmail) if (o.kind !== 'inserted') expect(o).toMatchObject({ kind: 'duplicate', matchedOn: 'email' });
      // every loser names the winner (or, having lost to it in flight, no one), never the expired lead
      expect(forEmail.filter((o) => o.kind === 'duplicate' && o.matchedLeadId === idOf(old))).toEqual([]);
      const [holder] = await backend.runner.query<{ lead_id: string }>(`select lead_id::text from key_claims where key = 'email' and value = $1`, [email]);
      expect(holder!.lead_id).toBe(winner);
      const [count] = await backend.runner.query<{ n: number }>(`select count(*)::int as n from leads where fields->>'email' = $1`, [email]);
      expect(count!.n).toBe(2); // the expired one and the winner
    } finally {
      await close();
      now = new Date('2026-01-01T00:00:00Z');
    }
  });

  it('concurrent inserts of one new email: one lead', async () => {
    const email = uniqueEmail();
    const { stores: many, close } = await stores(2);
    try {
      const outcomes = await Promise.all(Array.from({ length: 30 }, (_, i) => many[i % many.length]!.insertLeads([lead({ phone: uniquePhone(), email }, [PHONE, EMAIL])])));
      expect(outcomes.flat().filter((o) => o.kind === 'inserted')).toHaveLength(1);
    } finally {
      await close();
    }
  });
});

describe('a template changed while leads exist', () => {
  const before: BackfillTemplate = { id: 1, dedupe: 'campaign', matchKeys: [PHONE] };
  const after: BackfillTemplate = { id: 1, dedupe: 'campaign', matchKeys: [PHONE, EMAIL] };
  const templates = new Map([[1, after]]);

  it('builds the claims of the new key in bounded batches; until it reaches a lead, that lead is not matched', async () => {
    const email = uniqueEmail();
    const lateEmail = uniqueEmail();
    // leads written under the old rules: no email claims, two leads even share an email
    now = new Date('2026-07-01T00:00:00Z');
    const [older] = await store.insertLeads([lead({ phone: uniquePhone(), email }, before.matchKeys)]);
    now = new Date('2026-07-02T00:00:00Z');
    const [younger] = await store.insertLeads([lead({ phone: uniquePhone(), email }, before.matchKeys)]);
    const filler = await store.insertLeads(Array.from({ length: 6 }, () => lead({ phone: uniquePhone(), email: uniqueEmail() }, before.matchKeys)));
    const [last] = await store.insertLeads([lead({ phone: uniquePhone(), email: lateEmail }, before.matchKeys)]);
    expect([older, younger, last, ...filler].every((o) => o!.kind === 'inserted')).toBe(true);

    // the rules change: email added
    await planBackfills(backend.runner, [after]);
    const [row] = await openBackfills(backend.runner);
    expect(row).toMatchObject({ templateId: 1, scope: 'campaign', key: 'email', afterLeadId: '0' });
    // a new lead with the new rules claims at once; one matching a lead the walk has not reached is accepted
    now = new Date('2026-07-03T00:00:00Z');
    const [early] = await store.insertLeads([lead({ phone: uniquePhone(), email: lateEmail }, after.matchKeys)]);
    expect(early!.kind).toBe('inserted');

    let steps = 0;
    for (;;) {
      const step = await backfillStep(backend.runner, templates, { batchIds: 3, graceSeconds: 0 });
      if (step === 'none') break;
      expect(step).toBe('worked');
      steps += 1;
      expect(steps).toBeLessThan(10_000);
    }
    expect(steps).toBeGreaterThan(2);
    expect(await openBackfills(backend.runner)).toEqual([]);

    // the youngest of the leads sharing the email holds its claim; the live insert kept its own
    const [duplicate] = await store.insertLeads([lead({ phone: uniquePhone(), email }, after.matchKeys)]);
    expect(duplicate).toEqual(dup('email', idOf(younger)));
    const [late] = await store.insertLeads([lead({ phone: uniquePhone(), email: lateEmail }, after.matchKeys)]);
    expect(late).toEqual(dup('email', idOf(early)));
    now = new Date('2026-01-01T00:00:00Z');
  });

  it('a key removed and added again is built again', async () => {
    await planBackfills(backend.runner, [before]);
    expect(await backend.runner.query(`select 1 from dedupe_backfills where template_id = 1`)).toEqual([]);
    await planBackfills(backend.runner, [after]);
    expect(await openBackfills(backend.runner)).toHaveLength(1);
    while ((await backfillStep(backend.runner, templates, { batchIds: 1000, graceSeconds: 0 })) !== 'none');
  });

  it('waits out its grace period once it passed the newest lead, so leads of processes still on the old rules are walked too', async () => {
    const [row] = await backend.runner.query<{ n: number }>(`select count(*)::int as n from dedupe_backfills where done_at is null`);
    expect(row!.n).toBe(0);
    await planBackfills(backend.runner, [{ ...after, matchKeys: [PHONE, EMAIL, NAME_PHONE] }]);
    const map = new Map([[1, { ...after, matchKeys: [PHONE, EMAIL, NAME_PHONE] }]]);
    while ((await backfillStep(backend.runner, map, { batchIds: 100_000, graceSeconds: 3600 })) === 'worked');
    expect(await backfillStep(backend.runner, map, { graceSeconds: 3600 })).toBe('waiting');
    expect(await openBackfills(backend.runner)).toHaveLength(1);
  });
});
