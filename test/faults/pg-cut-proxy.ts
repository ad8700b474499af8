import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy between a postgres.js pool and a PostgreSQL server that reads the wire protocol
 * (unencrypted) on its way through, so a test can cut one connection at an exact point: after the
 * server finished a chosen statement — committed it, when it ran outside a transaction block, or
 * when it was the COMMIT — and before its answer reaches the client. Everything else passes through.
 */
export interface PgCutProxy {
  /** `postgres://…` of the same database through the proxy */
  url: string;
  /**
   * Arms one cut: the next statement whose SQL text matches runs on the server to its
   * ReadyForQuery, then the connection is closed on both sides with none of that answer
   * forwarded. Resolves with the statement's text once it happened.
   */
  cutAfter(match: (sql: string) => boolean): Promise<string>;
  close(): Promise<void>;
}

const STARTUP_CODES = new Set([80877103 /* SSLRequest */, 80877104 /* GSSENCRequest */]);

export async function startPgCutProxy(serverUrl: string): Promise<PgCutProxy> {
  const target = new URL(serverUrl);
  let armed: { match: (sql: string) => boolean; done: (sql: string) => void } | undefined;
  const sockets = new Set<Socket>();

  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', closeBoth).on('error', closeBoth);
    upstream.on('close', closeBoth).on('error', closeBoth);

    // client → server: statement texts by prepared-statement name, Syncs (and simple queries) counted
    const statements = new Map<string, string>();
    let syncs = 0;
    let started = false;
    /** single-byte answers ('N' or 'S') the server owes to SSL/GSS requests: untyped, forwarded as they are */
    let encryptionAnswers = 0;
    let fromClient = Buffer.alloc(0);
    // the cut: the ReadyForQuery that answers Sync number `cutAtSync` ends this connection
    let cutAtSync: number | undefined;
    let cutSql = '';

    client.on('data', (chunk: Buffer) => {
      fromClient = Buffer.concat([fromClient, chunk]);
      for (;;) {
        if (!started) {
          // untyped: SSLRequest / GSSENCRequest / StartupMessage
          if (fromClient.length < 8) break;
          const length = fromClient.readInt32BE(0);
          if (fromClient.length < length) break;
          if (STARTUP_CODES.has(fromClient.readInt32BE(4))) encryptionAnswers += 1;
          else started = true;
          fromClient = fromClient.subarray(length);
          continue;
        }
        if (fromClient.length < 5) break;
        const length = fromClient.readInt32BE(1) + 1;
        if (fromClient.length < length) break;
        const type = String.fromCharCode(fromClient[0]!);
        const body = fromClient.subarray(5, length);
        fromClient = fromClient.subarray(length);
        const cstrings = () => body.toString('utf8').split('\u0000');
        if (type === 'P') {
          const [name, sql] = cstrings();
          statements.set(name!, sql!);
        } else if (type === 'B' || type === 'Q') {
          const sql = type === 'Q' ? cstrings()[0]! : (statements.get(cstrings()[1]!) ?? '');
          // the Sync after this Bind (a simple query is its own)
          if (armed && cutAtSync === undefined && armed.match(sql)) {
            cutAtSync = syncs + 1;
            cutSql = sql;
          }
          if (type === 'Q') syncs += 1;
        } else if (type === 'S') {
          syncs += 1;
        }
      }
      upstream.write(chunk);
    });

    // server → client: whole messages, counting ReadyForQuery ('Z'); the first answers the startup
    let readies = -1;
    let fromServer = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      fromServer = Buffer.concat([fromServer, chunk]);
      const forward: Buffer[] = [];
      for (;;) {
        if (encryptionAnswers > 0 && fromServer.length > 0) {
          encryptionAnswers -= 1;
          forward.push(fromServer.subarray(0, 1));
          fromServer = fromServer.subarray(1);
          continue;
        }
        if (fromServer.length < 5) break;
        const length = fromServer.readInt32BE(1) + 1;
        if (fromServer.length < length) break;
        const message = fromServer.subarray(0, length);
        fromServer = fromServer.subarray(length);
        // once the answers before the cut statement's have gone, hold everything back
        if (cutAtSync !== undefined && readies + 1 >= cutAtSync) {
          if (message[0] === 0x5a /* Z */ && ++readies === cutAtSync) {
            const done = armed!.done;
            armed = undefined;
            if (forward.length > 0) client.write(Buffer.concat(forward));
            closeBoth();
            done(cutSql);
            return;
          }
          continue;
        }
        if (message[0] === 0x5a) readies += 1;
        forward.push(message);
      }
      if (forward.length > 0) client.write(Buffer.concat(forward));
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(serverUrl);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as { port: number }).port);

  return {
    url: url.toString(),
    cutAfter(match) {
      if (armed) throw new Error('a cut is already armed');
      return new Promise((resolve) => (armed = { match, done: resolve }));
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
