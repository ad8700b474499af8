import { createServer } from 'node:http';

/**
 * A 0 ms Noojee dialer for the forwarding part: every insert is accepted at once, so the figures
 * measure leadgate's queue and not the dialer. Answers as the fake in test/support/fake-dialers
 * does (SPEC 2.1/2.2 shapes): insertLeadFast `{"code":0,"message":"OK","leadId":"…"}`,
 * insertLeadsFast `{"code":0,"message":"OK","results":[{"index","code":0,"message":"OK","leadId"}],
 * "counts":{"0":n}}`, updateLeadFast the single shape. That fake keeps a lead table it scans on
 * every insert (its duplicate checks), so past a few thousand leads it, not leadgate, would be the
 * bottleneck; this stub keeps only counters. `GET /count` answers `{"calls","leads"}`.
 */
export function startNoojeeStub(port: number): void {
  let nextLeadId = 1;
  let calls = 0;
  let leads = 0;
  const server = createServer((req, res) => {
    const json = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
    };
    if (req.method === 'GET') return json(200, req.url === '/count' ? { calls, leads } : { ok: true });
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const operation = new URL(req.url ?? '/', 'http://stub').pathname.split('/').pop();
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return json(500, { code: 103, message: 'EXCEPTION' });
      }
      calls += 1;
      if (operation === 'insertLeadsFast') {
        const rows = Array.isArray(body) ? body : [body];
        leads += rows.length;
        const results = rows.map((_, index) => ({ index, code: 0, message: 'OK', leadId: String(nextLeadId++) }));
        return json(200, { code: 0, message: 'OK', results, counts: { '0': rows.length } });
      }
      if (operation === 'insertLeadFast' || operation === 'updateLeadFast') {
        if (operation === 'insertLeadFast') leads += 1;
        return json(200, { code: 0, message: 'OK', leadId: String(nextLeadId++) });
      }
      json(404, { code: 404, message: 'Not Found' });
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(port, '127.0.0.1', () => console.log(`noojee stub listening on ${port}`));
}
