import postgres from 'postgres';
import { SEED_PHONE_BASE } from './leads.js';

/**
 * Seeds leads the way leadgate writes them, in bulk SQL: each lead row (template 1, spread over
 * campaigns 10/11 and their allocations 100/101/110/111 of the basic rules, an external id, the
 * eight-field `fields` document with the phone as sent, `phones` in E.164) and its phone in the
 * three scopes `a<allocation>`, `c<campaign>` and `g` of phone_claims, as insert-one.ts does.
 * Seeded phones are +61 480 000 000 upwards (see leads.ts), so they never meet load phones.
 * Seeds `from` (inclusive) to `to` (exclusive) seed numbers, in chunks of `chunk` rows per
 * transaction, with every index and constraint of the schema in place.
 */
export async function seedLeads(databaseUrl: string, from: number, to: number, options: { chunk?: number; onProgress?: (done: number) => void } = {}): Promise<void> {
  const chunk = options.chunk ?? 100_000;
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`set maintenance_work_mem = '256MB'`);
    for (let start = from; start < to; start += chunk) {
      const end = Math.min(to, start + chunk);
      await sql.begin(async (tx) => {
        await tx.unsafe(
          `
          with rows as (
            select i, (array[10, 10, 11, 11])[i % 4 + 1] as campaign_id, (array[100, 101, 110, 111])[i % 4 + 1] as allocation_id,
                   ($3::bigint + i)::text as digits
            from generate_series($1::int, $2::int - 1) as i
          ), inserted as (
            insert into leads (template_id, campaign_id, allocation_id, external_id, status, callback_at, priority, contact_hours, fields, phones)
            select 1, campaign_id, allocation_id, 'seed' || i, null, null, 10, 'Melbourne',
              jsonb_build_object('phone', '0' || digits, 'firstName', 'Sam', 'surname', 'Benchmark', 'email', 'seed' || i || '@example.com',
                                 'postcode', '3000', 'state', 'VIC', 'source', 'seed'),
              array['+61' || digits]
            from rows order by i
            returning id, campaign_id, allocation_id, phones[1] as e164
          )
          insert into phone_claims (scope, e164, lead_id)
          select s, e164, id from inserted cross join lateral unnest(array['a' || allocation_id, 'c' || campaign_id, 'g']) as s`,
          [start, end, SEED_PHONE_BASE],
        );
      });
      options.onProgress?.(end - from);
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** VACUUM ANALYZE and a CHECKPOINT, so neither autovacuum nor a checkpoint lands inside a measurement. */
export async function settle(databaseUrl: string): Promise<void> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe('vacuum analyze leads');
    await sql.unsafe('vacuum analyze phone_claims');
    await sql.unsafe('checkpoint');
  } finally {
    await sql.end({ timeout: 5 });
  }
}
