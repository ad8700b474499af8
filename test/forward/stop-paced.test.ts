import { afterEach, expect, it } from 'vitest';
import { startFakeNoojee } from '../support/fake-dialers/noojee.js';
import { destinationYaml, eventually, rulesWithDestinations } from '../support/forwarding.js';
import { createTestApp, postNoojee } from '../support/test-app.js';

/*
 * SIGTERM (the worker's stop()) while a claimed call waits for its paced start: the wait ends at
 * once and the call goes back to the queue unattempted (docs/forwarding.md, "Shutdown and faults").
 */

const SECRET = 'pbx-key-stop-41d0';
const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
});

it('stop() wakes a call waiting for its paced start and releases it unattempted', async () => {
  const fake = await startFakeNoojee({ apiKey: SECRET, minCallMs: 5 });
  open.push(() => fake.close());
  // one call a second: a claim takes two calls, the second to start a second after the first
  const rules = await rulesWithDestinations({
    pbx: destinationYaml('noojee', fake.url, { apiKey: '${env:PBX_KEY}' }, { ratePerSecond: '1', maxConcurrency: '10', batch: '1' }),
  });
  open.push(() => rules.remove());
  const t = await createTestApp({ rulesDir: rules.dir, env: { PBX_KEY: SECRET } });
  open.push(() => t.close());
  for (const phone of ['0383100001', '0383100002']) expect((await postNoojee(t.app, 'insertLeadFast', { phone })).body.code).toBe(0);

  t.deliveries.start();
  await eventually('the first call delivered', () => fake.leads.length === 1);
  const stopping = Date.now();
  await t.deliveries.stop(5000);
  expect(Date.now() - stopping).toBeLessThan(500);

  const rows = await t.backend.runner.query<{ state: string; attempt_count: number; claim_token: string | null }>(
    'select state, attempt_count, claim_token from deliveries order by id',
  );
  expect(rows).toEqual([
    { state: 'delivered', attempt_count: 1, claim_token: null },
    { state: 'queued', attempt_count: 0, claim_token: null },
  ]);
  expect(fake.requests).toHaveLength(1);
});
