import { keyClaims, PHONE_KEY, type MatchKey } from '../leads/match-keys.js';
import type { LeadFields } from '../leads/scalar.js';
import type { DedupeScope } from '../ruleset/dialer-schema.js';
import { scopeKeys } from './dedupe-scopes.js';
import type { SqlRunner } from './sql-runner.js';

/**
 * Claims of existing leads for a match key a rules change added (or a key whose scope changed):
 * built in the background, in bounded batches, while the gateway keeps taking leads.
 *
 * New leads claim the new key from the moment their process runs the new rules; the backfill
 * walks the leads that existed before, in id order, a range of `batchIds` ids per transaction,
 * and registers their claims. Where several existing leads share a value, the youngest holds the
 * claim (a window counts from the last lead with the value), and a backfilled claim never takes a
 * value from a younger holder, so the walk cannot undo what live inserts claimed meanwhile.
 * A backfill row is taken FOR UPDATE SKIP LOCKED: several processes share the work, never a range.
 * It is done once it passed the newest lead and it is older than a grace period, by which time
 * every process runs the rules that asked for it (a file edit reaches every watcher in seconds).
 *
 * While it runs, a new lead is checked against the claims built so far: a duplicate by the new key
 * of a lead the walk has not reached yet is accepted. The phone key never needs it: phones are
 * claimed in all three scopes by every lead, whatever the template says.
 */

/** What a template asks of the claims: the non-phone keys, in its scope. */
export interface BackfillTemplate {
  id: number;
  dedupe: DedupeScope;
  matchKeys: readonly MatchKey[];
}

export interface BackfillOptions {
  /** lead ids per batch (one transaction); default 2,000 */
  batchIds?: number;
  /** how long a finished walk stays open for leads of processes still on the old rules; default 60 s */
  graceSeconds?: number;
}

const ENSURE = `
insert into dedupe_backfills (template_id, scope, key, until_lead_id)
select t.template_id, t.scope, t.key, (select coalesce(max(id), 0) from leads)
from jsonb_to_recordset($1::text::jsonb) as t(template_id int, scope text, key text)
on conflict do nothing`;

/** Rows of the templates it knows that the rules no longer ask for: a later re-add starts again. */
const FORGET = `
delete from dedupe_backfills b where b.template_id = any($1::int[])
  and not exists (select 1 from jsonb_to_recordset($2::text::jsonb) as t(template_id int, scope text, key text)
                  where t.template_id = b.template_id and t.scope = b.scope and t.key = b.key)`;

const TAKE = `
select template_id, scope, key, after_lead_id::text as after_lead_id, extract(epoch from now() - created_at)::float8 as age_seconds,
  (select coalesce(max(id), 0) from leads)::text as max_id
from dedupe_backfills where done_at is null order by created_at, template_id, scope, key limit 1 for update skip locked`;

/**
 * FOR SHARE: an update or close of one of these leads waits for the batch to commit, and then
 * moves or releases the claims the batch registered (its claim statements run after its row lock).
 * Without it, an update committed between this read and CLAIM would see its old values claimed
 * again. A lead locked by such an update is read as that update left it (or skipped, if closed).
 */
const LEADS = `
select id::text as id, campaign_id, allocation_id, fields, phones, created_at::text as created_at from leads
where template_id = $1::int and id > $2::bigint and id <= $3::bigint and state = 'active'
order by id for share`;

/** The youngest lead of the batch holds a value; an existing younger holder keeps it. */
const CLAIM = `
insert into key_claims (scope, key, value, lead_id, created_at)
select distinct on (scope, key, value) scope, key, value, lead_id, created_at
from jsonb_to_recordset($1::text::jsonb) as r(scope text, key text, value text, lead_id bigint, created_at timestamptz)
order by scope, key, value, created_at desc, lead_id desc
on conflict (scope, key, value) do update set lead_id = excluded.lead_id, created_at = excluded.created_at
  where key_claims.created_at < excluded.created_at`;

const ADVANCE = `
update dedupe_backfills set after_lead_id = $4::bigint where template_id = $1::int and scope = $2::text and key = $3::text`;

const FINISH = `
update dedupe_backfills set done_at = now() where template_id = $1::int and scope = $2::text and key = $3::text`;

const wanted = (templates: Iterable<BackfillTemplate>) =>
  [...templates].flatMap((t) =>
    t.dedupe === 'none' ? [] : t.matchKeys.filter((k) => k.name !== PHONE_KEY).map((k) => ({ template_id: t.id, scope: t.dedupe, key: k.name })),
  );

/** Records the backfills `templates` need and forgets the ones they no longer need. */
export async function planBackfills(runner: SqlRunner, templates: readonly BackfillTemplate[]): Promise<void> {
  const rows = wanted(templates);
  await runner.transaction(async (tx) => {
    await tx.query(FORGET, [templates.map((t) => t.id), JSON.stringify(rows)]);
    if (rows.length > 0) await tx.query(ENSURE, [JSON.stringify(rows)]);
  });
}

/**
 * One batch of one unfinished backfill: 'worked' (a batch done, or a backfill finished), 'waiting'
 * (the open backfills passed the newest lead and wait out their grace period, or belong to rules
 * this process does not run, or other processes hold them), 'none' (nothing open).
 */
export async function backfillStep(
  runner: SqlRunner,
  templates: ReadonlyMap<number, BackfillTemplate>,
  options: BackfillOptions = {},
): Promise<'worked' | 'waiting' | 'none'> {
  const batchIds = BigInt(options.batchIds ?? 2_000);
  const grace = options.graceSeconds ?? 60;
  return runner.transaction(async (tx) => {
    const [job] = await tx.query<{ template_id: number; scope: DedupeScope; key: string; after_lead_id: string; age_seconds: number; max_id: string }>(TAKE);
    if (!job) {
      const [open] = await tx.query<{ n: number }>('select count(*)::int as n from dedupe_backfills where done_at is null');
      return (open?.n ?? 0) > 0 ? 'waiting' : 'none';
    }
    const template = templates.get(job.template_id);
    const key = template?.matchKeys.find((k) => k.name === job.key);
    // rules this process does not run (yet): leave the row to a process that does
    if (!template || !key || template.dedupe !== job.scope) return 'waiting';
    const after = BigInt(job.after_lead_id);
    const maxId = BigInt(job.max_id);
    if (after >= maxId) {
      if (Number(job.age_seconds) < grace) return 'waiting';
      await tx.query(FINISH, [job.template_id, job.scope, job.key]);
      return 'worked';
    }
    const until = after + batchIds < maxId ? after + batchIds : maxId;
    const leads = await tx.query<{ id: string; campaign_id: number; allocation_id: number; fields: LeadFields; phones: string[]; created_at: string }>(LEADS, [
      template.id,
      after.toString(),
      until.toString(),
    ]);
    const claims = leads.flatMap((lead) => {
      const scope = scopeKeys({ campaignId: lead.campaign_id, allocationId: lead.allocation_id })[job.scope as Exclude<DedupeScope, 'none'>];
      return keyClaims([key], lead.fields, lead.phones).map((c) => ({ scope, key: c.key, value: c.value, lead_id: lead.id, created_at: lead.created_at }));
    });
    if (claims.length > 0) await tx.query(CLAIM, [JSON.stringify(claims)]);
    await tx.query(ADVANCE, [job.template_id, job.scope, job.key, until.toString()]);
    return 'worked';
  });
}

/** Whether some backfill is still open (for the docs' "what holds while it runs", tests and /readyz-like checks). */
export async function openBackfills(runner: SqlRunner): Promise<Array<{ templateId: number; scope: string; key: string; afterLeadId: string }>> {
  return runner.query(
    `select template_id as "templateId", scope, key, after_lead_id::text as "afterLeadId" from dedupe_backfills where done_at is null order by created_at`,
  );
}

/**
 * Rule sets already planned in this process: a rule set is planned (and its walk started) once,
 * by the first store that sees it, also where stores are made per request (Workers).
 */
const PLANNED = new WeakSet<object>();

export interface BackfillRunner {
  /** tells the runner which rules are current; plans (once per rule set) and wakes the walk */
  noteRules(templates: ReadonlyMap<number, BackfillTemplate>): void;
  /** resolves when the walk has nothing left to do (tests) */
  idle(): Promise<void>;
  stop(): void;
}

/**
 * Runs the backfills of one store in the background: after each batch it pauses (`pauseMs`), so
 * the walk takes what the gateway leaves; its timers never keep the process alive. An error (the
 * store down) ends this walk; the next rule set seen starts it again.
 */
export interface BackfillRunnerOptions extends BackfillOptions {
  /** pause after each batch, so the walk takes what the gateway leaves; default 10 ms */
  pauseMs?: number;
  /** how often to look again while backfills wait (grace period, other processes); default 5 s */
  recheckMs?: number;
  onError?: (error: unknown) => void;
}

export function createBackfillRunner(runner: SqlRunner, options: BackfillRunnerOptions = {}): BackfillRunner {
  let current: ReadonlyMap<number, BackfillTemplate> | undefined;
  let walk: Promise<void> | undefined;
  let stopped = false;
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

  async function run(templates: ReadonlyMap<number, BackfillTemplate>): Promise<void> {
    await planBackfills(runner, [...templates.values()]);
    while (!stopped && templates === current) {
      const step = await backfillStep(runner, templates, options);
      if (step === 'none') return;
      await sleep(step === 'worked' ? (options.pauseMs ?? 10) : (options.recheckMs ?? 5_000));
    }
  }

  function start(templates: ReadonlyMap<number, BackfillTemplate>) {
    const previous = walk ?? Promise.resolve();
    walk = previous
      .then(() => (stopped ? undefined : run(templates)))
      .catch((error: unknown) => options.onError?.(error));
  }

  return {
    noteRules(templates) {
      if (stopped || templates === current || PLANNED.has(templates)) return;
      PLANNED.add(templates);
      current = templates;
      start(templates);
    },
    async idle() {
      while (walk) {
        const w = walk;
        await w;
        if (w === walk) return;
      }
    },
    stop() {
      stopped = true;
    },
  };
}
