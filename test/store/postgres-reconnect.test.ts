import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storePool } from '../../src/store/backends/postgres.js';
import { openTestBackend, SERVER_URL, type TestBackend } from '../support/test-backend.js';

/*
 * The store's pool after an outage (server PostgreSQL only: PGlite has no connection). A port
 * where nothing listens stands for the server while it is down; a TCP relay to the real server,
 * started on that port, for its return. postgres.js's default reconnect wait grows with the pool's
 * failed attempts to 10–20 s, which held every request that long after a restart (bench soak).
 */

/** A port on 127.0.0.1 that refuses connections until `relayTo` starts forwarding it. */
async function closedPort(): Promise<{ port: number; relayTo(target: URL): Promise<void>; close(): Promise<void> }> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  let relay: Server | undefined;
  const sockets = new Set<Socket>();
  return {
    port,
    async relayTo(target) {
      relay = createServer((client) => {
        const upstream = connect(Number(target.port || 5432), target.hostname);
        sockets.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        const end = () => {
          client.destroy();
          upstream.destroy();
        };
        client.on('error', end).on('close', end);
        upstream.on('error', end).on('close', end);
      });
      await new Promise<void>((resolve) => relay!.listen(port, '127.0.0.1', resolve));
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => (relay ? relay.close(() => resolve()) : resolve()));
    },
  };
}

describe.runIf(SERVER_URL)('the store pool after PostgreSQL was unreachable', () => {
  let db: TestBackend;
  beforeAll(async () => {
    db = await openTestBackend();
  });
  afterAll(() => db.close());

  it('fails each query at once while the server is down, and serves again within a second or two of its return', async () => {
    const port = await closedPort();
    const target = new URL(db.url!);
    const through = new URL(db.url!);
    through.hostname = '127.0.0.1';
    through.port = String(port.port);
    const sql = storePool(through.toString(), { poolSize: 4 });
    try {
      // ten refused attempts: with postgres.js's default wait the pool would now stay away 10–20 s
      for (let i = 0; i < 10; i += 1) {
        const started = performance.now();
        await expect(sql`select 1`).rejects.toMatchObject({ code: 'ECONNREFUSED' });
        expect(performance.now() - started).toBeLessThan(2_000);
      }
      await port.relayTo(target);
      const started = performance.now();
      const [row] = await sql<Array<{ one: number }>>`select 1 as one`;
      expect(row!.one).toBe(1);
      expect(performance.now() - started).toBeLessThan(3_000);
    } finally {
      await sql.end({ timeout: 1 });
      await port.close();
    }
  });
});
