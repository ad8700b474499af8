import { isRecord } from './kinds/answer-reading.js';

/**
 * What one delivery's attempt record keeps of the call that carried it (SPEC 10.3). A batch
 * (Noojee's insertLeadsFast) sends a JSON array with one element per delivery, in order: each
 * record keeps the call's method, URL and headers, its own element, and where it sat in the batch.
 * Keeping the whole batch with every delivery of it wrote the batch size squared into
 * delivery_attempts (100 copies of 100 leads for a batch of 100), which made the settle, not the
 * dialer, the limit on the delivery rate.
 */
export function attemptRequestOf(request: unknown, index: number, count: number): unknown {
  if (count <= 1 || !isRecord(request) || !Array.isArray(request.body) || request.body.length !== count) return request;
  return { ...request, body: request.body[index], batch: { index, size: count } };
}
