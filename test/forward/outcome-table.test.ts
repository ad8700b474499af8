import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttemptOutcome, DestinationKind } from '../../src/forward/ports.js';
import { startFakeConvoso } from '../support/fake-dialers/convoso.js';
import { startHttpReceiver, type ReceiverAnswer } from '../support/fake-dialers/http-receiver.js';
import { startFakeNoojee } from '../support/fake-dialers/noojee.js';
import type { DownMode } from '../support/fake-dialers/server.js';
import { startFakeVicidial } from '../support/fake-dialers/vicidial.js';
import { destinationYaml, rulesWithDestinations } from '../support/forwarding.js';
import { createTestApp, postNoojee, type TestApp } from '../support/test-app.js';

/*
 * SPEC 10.2's outcome table, every row of every kind, through the real app and the real worker:
 * a lead goes in, the fake is made to give the row's answer, one claim round (`runOnce`) makes one
 * attempt, and the delivery's state and the attempt's outcome must be the row's. One app per kind;
 * between rows the fake is reset and the deliveries deleted.
 *
 * Each kind's app has two destinations: `main` (campaign 10's leads) with the right credentials,
 * and `wrong` (campaign 11's) with wrong ones, for the rows a dialer answers to bad credentials.
 */

type Expected = 'delivered' | 'refused' | 'retry' | 'dead';

interface Row<A> {
  answer: string;
  /** what the fake must answer; absent: the fake does the real work */
  force?: A;
  expect: Expected;
  /** send through the destination with wrong credentials */
  wrongCredentials?: true;
  /** what the attempt record must show of the dialer's answer, where the row does not force it */
  shows?: { status: number; answer: string };
}

/** A fake dialer as the table drives it. */
interface Driver<A> {
  url: string;
  /** credential name → the right value, and a wrong one */
  credentials: Record<string, { right: string; wrong: string }>;
  /** answer `a` to every call until reset */
  force(a: A): Promise<void>;
  /** no forced answer, up, no delay */
  reset(): Promise<void>;
  setDown(mode: DownMode): Promise<void>;
  /** every answer this late */
  setDelay(ms: number): Promise<void>;
  close(): Promise<void>;
}

interface KindTable<A> {
  kind: DestinationKind;
  start(): Promise<Driver<A>>;
  rows: Row<A>[];
}

/** The knobs every fake dialer shares (test/support/fake-dialers): down, a delay, no forced answer. */
interface FakeDialer {
  url: string;
  set(knobs: { answerOverride?: null; down?: DownMode; delayMs?: number }): Promise<void>;
  close(): Promise<void>;
}

/** A fake dialer as the table drives it, `force` being how this kind's answers are forced. */
function drive<A>(fake: FakeDialer, credentials: Driver<A>['credentials'], force: (a: A) => Promise<void>): Driver<A> {
  return {
    url: fake.url,
    credentials,
    force,
    reset: () => fake.set({ answerOverride: null, down: false, delayMs: 0 }),
    setDown: (mode) => fake.set({ down: mode }),
    setDelay: (ms) => fake.set({ delayMs: ms }),
    close: () => fake.close(),
  };
}

const ATTEMPT_TIMEOUT_MS = 1000;
const RETRY = { firstDelayMs: 10, maxDelayMs: 10, maxAttempts: 3 };

// --- the table, per kind --------------------------------------------------------------------

const noojee: KindTable<{ code: number } | { down: '503' }> = {
  kind: 'noojee',
  async start() {
    const fake = await startFakeNoojee({ apiKey: 'nj-right', minCallMs: 0, concurrency: 8 });
    return drive(fake, { apiKey: { right: 'nj-right', wrong: 'nj-wrong' } }, (a: { code: number } | { down: '503' }) =>
      'code' in a ? fake.set({ answerOverride: { answer: a.code } }) : fake.set({ down: a.down }),
    );
  },
  rows: [
    { answer: 'code 0', expect: 'delivered' },
    ...[104, 105].map((code) => ({ answer: `code ${code}`, force: { code }, expect: 'refused' as const })),
    ...[109, 103].map((code) => ({ answer: `code ${code}`, force: { code }, expect: 'retry' as const })),
    { answer: 'HTTP 503', force: { down: '503' }, expect: 'retry' },
    ...[102, 106, 107, 108, 110, 111, 114, 115, 116, 117].map((code) => ({ answer: `code ${code}`, force: { code }, expect: 'dead' as const })),
    { answer: 'HTTP 401 (wrong apiKey)', expect: 'dead', wrongCredentials: true, shows: { status: 401, answer: '' } },
  ],
};

type ConvosoForced = { status: number; body: unknown; headers?: Record<string, string> };
const convosoError = (code: number, text: string): ConvosoForced => ({ status: 200, body: { success: false, code, text } });

const convoso: KindTable<ConvosoForced> = {
  kind: 'convoso',
  async start() {
    const fake = await startFakeConvoso({ authToken: 'cv-right' });
    return drive(fake, { authToken: { right: 'cv-right', wrong: 'cv-wrong' } }, (a: ConvosoForced) => fake.set({ answerOverride: { answer: a } }));
  },
  rows: [
    { answer: 'success: true with data.lead_id', expect: 'delivered' },
    { answer: '6009', force: convosoError(6009, 'The phone number already exists'), expect: 'refused' },
    { answer: '6010', force: convosoError(6010, 'The phone number is on the DNC list'), expect: 'refused' },
    { answer: 'HTTP 429', force: { status: 429, body: { success: false, code: 429, text: 'Too Many Requests' } }, expect: 'retry' },
    { answer: 'HTTP 500', force: { status: 500, body: 'Internal Server Error' }, expect: 'retry' },
    { answer: 'HTTP 502', force: { status: 502, body: '<html>Bad Gateway</html>' }, expect: 'retry' },
    { answer: 'HTTP 503', force: { status: 503, body: { success: false, code: 503, text: 'Service Unavailable' } }, expect: 'retry' },
    { answer: 'HTTP 403', force: { status: 403, body: { success: false, code: 403, text: 'Forbidden' } }, expect: 'dead' },
    { answer: 'HTTP 403 (wrong auth_token)', expect: 'dead', wrongCredentials: true, shows: { status: 403, answer: 'Forbidden' } },
    { answer: '6001', force: convosoError(6001, 'No such Lead'), expect: 'dead' },
    { answer: '6002', force: convosoError(6002, 'No such List'), expect: 'dead' },
    { answer: '6007', force: convosoError(6007, 'The Lead requires a phone number and list id'), expect: 'dead' },
    { answer: '6008', force: convosoError(6008, 'The phone number is invalid'), expect: 'dead' },
    { answer: '6079', force: convosoError(6079, 'Invalid email'), expect: 'dead' },
    { answer: 'any other code (6023)', force: convosoError(6023, 'Required fields are missed'), expect: 'dead' },
    { answer: 'any other code (6011)', force: convosoError(6011, 'The lead failed external validation'), expect: 'dead' },
  ],
};

const vicidialText = (text: string, status = 200) => ({ text, status });
const vicidial: KindTable<{ text: string; status: number }> = {
  kind: 'vicidial',
  async start() {
    const fake = await startFakeVicidial({ user: 'vd-user', pass: 'vd-right' });
    return drive(fake, { user: { right: 'vd-user', wrong: 'vd-user' }, pass: { right: 'vd-right', wrong: 'vd-wrong' }, source: { right: 'leadgate', wrong: 'leadgate' } }, (a: { text: string; status: number }) =>
      fake.set({ answerOverride: { answer: a } }),
    );
  },
  rows: [
    { answer: 'SUCCESS: add_lead LEAD HAS BEEN ADDED', expect: 'delivered' },
    { answer: 'ERROR: add_lead DUPLICATE PHONE NUMBER IN LIST', force: vicidialText('ERROR: add_lead DUPLICATE PHONE NUMBER IN LIST - 385000111|5|100042\n'), expect: 'refused' },
    { answer: 'ERROR: add_lead DUPLICATE PHONE NUMBER IN CAMPAIGN LISTS', force: vicidialText('ERROR: add_lead DUPLICATE PHONE NUMBER IN CAMPAIGN LISTS - 385000111|5|100042|6\n'), expect: 'refused' },
    { answer: 'HTTP 500', force: vicidialText('Internal Server Error', 500), expect: 'retry' },
    { answer: 'HTTP 503', force: vicidialText('Service Unavailable', 503), expect: 'retry' },
    { answer: 'ERROR: add_lead INVALID PHONE NUMBER LENGTH', force: vicidialText('ERROR: add_lead INVALID PHONE NUMBER LENGTH - 12|6666\n'), expect: 'dead' },
    { answer: 'ERROR: add_lead USER DOES NOT HAVE PERMISSION', force: vicidialText('ERROR: add_lead USER DOES NOT HAVE PERMISSION TO ADD LEADS TO THE SYSTEM - 6666|0\n'), expect: 'dead' },
    { answer: 'ERROR: add_lead NOT A DEFINED LIST ID', force: vicidialText('ERROR: add_lead NOT A DEFINED LIST ID, LIST EXISTS CHECK ENABLED - 385000111|5\n'), expect: 'dead' },
    { answer: 'ERROR: NO FUNCTION SPECIFIED', force: vicidialText('ERROR: NO FUNCTION SPECIFIED\n'), expect: 'dead' },
    { answer: 'ERROR: Login incorrect (wrong pass)', expect: 'dead', wrongCredentials: true, shows: { status: 200, answer: 'ERROR: Login incorrect' } },
  ],
};

const ok = (status: number): ReceiverAnswer => ({ status, body: { status: 'ok', id: 'R-1' } });
const http: KindTable<ReceiverAnswer> = {
  kind: 'http',
  async start() {
    const receiver = await startHttpReceiver();
    let delayMs = 0;
    let forced: ReceiverAnswer | null = null;
    const apply = () => {
      receiver.fallback = forced || delayMs ? { ...(forced ?? ok(200)), delayMs } : null;
    };
    return {
      url: receiver.url,
      credentials: { Authorization: { right: 'Bearer hook-right', wrong: 'Bearer hook-wrong' } },
      force: async (a) => {
        forced = a;
        apply();
      },
      reset: async () => {
        forced = null;
        delayMs = 0;
        apply();
        await receiver.setDown(false);
      },
      setDown: (mode) => receiver.setDown(mode),
      setDelay: async (ms) => {
        delayMs = ms;
        apply();
      },
      close: () => receiver.close(),
    };
  },
  rows: [
    { answer: '200 and success matches', force: ok(200), expect: 'delivered' },
    { answer: '201 and success matches', force: ok(201), expect: 'delivered' },
    { answer: '200 and success does not match', force: { status: 200, body: { status: 'failed' } }, expect: 'refused' },
    { answer: '204 without a body (no match)', force: { status: 204, body: '' }, expect: 'refused' },
    ...[409, 422].map((status) => ({ answer: `${status}`, force: { status, body: { error: 'no' } }, expect: 'refused' as const })),
    ...[408, 429, 500, 502, 503, 504].map((status) => ({ answer: `${status}`, force: { status, body: { error: 'later' } }, expect: 'retry' as const })),
    ...[400, 401, 403, 404, 405, 410, 413].map((status) => ({ answer: `${status}`, force: { status, body: { error: 'no' } }, expect: 'dead' as const })),
  ],
};

// --- running it ------------------------------------------------------------------------------

const envName = (side: 'RIGHT' | 'WRONG', name: string) => `${side}_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

/** The state a delivery is in after one attempt with this outcome (retry waits in the queue). */
const STATE_AFTER: Record<Expected, string> = { delivered: 'delivered', refused: 'refused', retry: 'queued', dead: 'dead' };

let phoneSeq = 0;
const phone = () => `0387${String(100000 + ((phoneSeq += 7) % 800000)).padStart(6, '0')}`;

function outcomeTable<A>(table: KindTable<A>): void {
  describe(`kind ${table.kind}`, () => {
    let driver: Driver<A>;
    let t: TestApp;
    let removeRules: () => Promise<void>;

    beforeAll(async () => {
      driver = await table.start();
      const refs = (side: 'RIGHT' | 'WRONG') => Object.fromEntries(Object.keys(driver.credentials).map((name) => [name, `\${env:${envName(side, name)}}`]));
      const env: Record<string, string> = {};
      for (const [name, value] of Object.entries(driver.credentials)) {
        env[envName('RIGHT', name)] = value.right;
        env[envName('WRONG', name)] = value.wrong;
      }
      const settings = {
        timeoutMs: String(ATTEMPT_TIMEOUT_MS),
        retry: `{ firstDelayMs: ${RETRY.firstDelayMs}, maxDelayMs: ${RETRY.maxDelayMs}, maxAttempts: ${RETRY.maxAttempts} }`,
        // rows fail the dialer on purpose, one after another: the circuit breaker is not under test here
        circuit: '{ failureThreshold: 1000, openMs: 1000 }',
        ...(table.kind === 'noojee' ? { batch: '1' } : {}),
      };
      const main = destinationYaml(table.kind, driver.url, refs('RIGHT'), settings);
      const wrong = destinationYaml(table.kind, driver.url, refs('WRONG'), settings).replace('match: { campaignId: 10 }', 'match: { campaignId: 11 }');
      const rules = await rulesWithDestinations({ main, wrong });
      removeRules = rules.remove;
      // the worker is never started: every attempt is one runOnce
      t = await createTestApp({ rulesDir: rules.dir, env });
    });
    afterAll(async () => {
      await t.close();
      await driver.close();
      await removeRules();
    });

    async function freshRow(): Promise<void> {
      await driver.reset();
      await t.backend.runner.query('delete from deliveries');
    }

    /** A new lead, to `main` (campaign 10) or to `wrong` (campaign 11); answers its delivery's id. */
    async function newLead(wrongCredentials = false): Promise<string> {
      const answer = await postNoojee(t.app, 'insertLeadFast', { phone: phone() }, wrongCredentials ? { fCampaignId: 11, fAllocationId: 110 } : {});
      expect(answer.body.code).toBe(0);
      const [row] = await t.backend.runner.query<{ id: string; destination: string }>('select id::text, destination from deliveries');
      expect(row?.destination).toBe(wrongCredentials ? 'wrong' : 'main');
      return row!.id;
    }

    const deliveryRow = async (id: string) =>
      (await t.backend.runner.query<{ state: string; attempt_count: number; last_outcome: AttemptOutcome; uncertain: boolean; dialer_lead_id: string | null; waits: boolean }>(
        'select state, attempt_count, last_outcome, uncertain, dialer_lead_id, next_attempt_at > updated_at as waits from deliveries where id = $1::bigint',
        [id],
      ))[0]!;
    const lastAnswer = async (id: string) =>
      (await t.backend.runner.query<{ status: number | null; answer: string | null }>('select status, answer from delivery_attempts where delivery_id = $1::bigint order by id desc limit 1', [id]))[0]!;
    const outcomes = async (id: string) =>
      (await t.backend.runner.query<{ outcome: string }>('select outcome from delivery_attempts where delivery_id = $1::bigint order by id', [id])).map((a) => a.outcome);

    it.each(table.rows)('$answer → $expect', async (row) => {
      await freshRow();
      if (row.force !== undefined) await driver.force(row.force);
      const id = await newLead(row.wrongCredentials);
      expect(await t.deliveries.runOnce()).toBe(1);

      const after = await deliveryRow(id);
      expect({ state: after.state, outcome: after.last_outcome, attempts: after.attempt_count, uncertain: after.uncertain }).toEqual({
        state: STATE_AFTER[row.expect],
        outcome: row.expect,
        attempts: 1,
        uncertain: false,
      });
      expect(await outcomes(id)).toEqual([row.expect]);
      if (row.shows) {
        const seen = await lastAnswer(id);
        expect(seen.status).toBe(row.shows.status);
        expect(seen.answer).toContain(row.shows.answer);
      }
      if (row.expect === 'retry') expect(after.waits).toBe(true);
      if (row.expect === 'delivered') expect(after.dialer_lead_id).not.toBeNull();
      if (row.expect !== 'retry') {
        // final: once the retry delay has passed, another round still makes no second attempt (110 among them)
        await new Promise((r) => setTimeout(r, RETRY.maxDelayMs + 10));
        expect(await t.deliveries.runOnce()).toBe(0);
        expect(await outcomes(id)).toEqual([row.expect]);
      }
    });

    it(`retry answers stop at maxAttempts (${RETRY.maxAttempts}): dead`, async () => {
      await freshRow();
      const retry = table.rows.find((r) => r.expect === 'retry' && r.force !== undefined)!;
      await driver.force(retry.force!);
      const id = await newLead();
      for (let round = 0; round < RETRY.maxAttempts; round++) {
        await new Promise((r) => setTimeout(r, RETRY.maxDelayMs + 10));
        expect(await t.deliveries.runOnce()).toBe(1);
      }
      expect(await outcomes(id)).toEqual(Array.from({ length: RETRY.maxAttempts }, () => 'retry'));
      expect(await deliveryRow(id)).toMatchObject({ state: 'dead', attempt_count: RETRY.maxAttempts });
    });

    it('a network error (connection refused) → unknown, and the delivery is uncertain', async () => {
      await freshRow();
      await driver.setDown('refuse');
      const id = await newLead();
      expect(await t.deliveries.runOnce()).toBe(1);
      expect(await deliveryRow(id)).toMatchObject({ state: 'queued', last_outcome: 'unknown', uncertain: true, attempt_count: 1, waits: true });
      expect(await outcomes(id)).toEqual(['unknown']);
    });

    it('a timeout → unknown, and the delivery is uncertain', async () => {
      await freshRow();
      await driver.setDelay(ATTEMPT_TIMEOUT_MS + 400);
      const id = await newLead();
      const started = Date.now();
      expect(await t.deliveries.runOnce()).toBe(1);
      expect(Date.now() - started).toBeGreaterThanOrEqual(ATTEMPT_TIMEOUT_MS - 50);
      expect(await deliveryRow(id)).toMatchObject({ state: 'queued', last_outcome: 'unknown', uncertain: true, attempt_count: 1 });
      await driver.reset();
    });
  });
}

outcomeTable(noojee);
outcomeTable(convoso);
outcomeTable(vicidial);
outcomeTable(http);
