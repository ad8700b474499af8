import { concatChunks } from '../lib/bytes.js';
import {
  CrmTransportError,
  declaredLengthExceeds,
  describeError,
  timedOut,
  tooLarge,
  type CrmTransport,
  type CrmTransportRequest,
  type CrmTransportResponse,
} from './transport.js';

/**
 * CrmTransport over the platform `fetch` (Cloudflare Workers). No node:* or undici imports.
 * It cannot see the addresses a name resolves to, so the private-network guard is the load-time
 * check of the URL host only; Workers cannot reach private addresses anyway.
 */
export function createFetchTransport(options: { fetch?: typeof fetch } = {}): CrmTransport {
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));

  const failure = (error: unknown, req: CrmTransportRequest, timeout: AbortSignal): CrmTransportError => {
    if (error instanceof CrmTransportError) return error;
    if (timeout.aborted) return timedOut(req.timeoutMs, error);
    if (req.signal?.aborted) return new CrmTransportError('aborted', 'request aborted', { cause: error });
    return new CrmTransportError('network', describeError(error), { cause: error });
  };

  return {
    async send(req: CrmTransportRequest): Promise<CrmTransportResponse> {
      const timeout = AbortSignal.timeout(req.timeoutMs);
      const signal = req.signal ? AbortSignal.any([timeout, req.signal]) : timeout;
      let res: Response;
      try {
        res = await fetchImpl(req.url, {
          method: req.method,
          headers: req.headers,
          body: req.body,
          signal,
          // A redirect could lead anywhere, including past the address checks.
          redirect: 'manual',
        });
      } catch (error) {
        throw failure(error, req, timeout);
      }
      const headers: Record<string, string> = {};
      res.headers.forEach((value, name) => {
        headers[name] = value;
      });
      if (declaredLengthExceeds(res.headers.get('content-length'), req.maxResponseBytes)) {
        await res.body?.cancel().catch(() => undefined);
        throw tooLarge(req.maxResponseBytes);
      }
      const chunks: Uint8Array[] = [];
      let total = 0;
      if (res.body) {
        const reader = res.body.getReader();
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            total += value.byteLength;
            if (total > req.maxResponseBytes) {
              await reader.cancel().catch(() => undefined);
              throw tooLarge(req.maxResponseBytes);
            }
            chunks.push(value);
          }
        } catch (error) {
          throw failure(error, req, timeout);
        }
      }
      return { status: res.status, headers, body: concatChunks(chunks, total) };
    },
  };
}
