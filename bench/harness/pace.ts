/**
 * An open-loop arrival schedule, shared by the paced load (load-worker.ts) and the floor client
 * (floor-client.ts) so that both sides of SPEC 9's latency row send on the same clock: request i
 * starts at i / rate seconds after the first, whether or not earlier ones have been answered.
 * `send(i)` starts request i and answers when it is done; this resolves when every one is, with the
 * seconds from the first start to the last answer.
 */
export async function paceRequests(rate: number, total: number, send: (i: number) => Promise<void>): Promise<number> {
  const inFlight: Array<Promise<void>> = [];
  const t0 = performance.now();
  for (let i = 0; i < total; i += 1) {
    const wait = t0 + (i * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(send(i));
  }
  await Promise.all(inFlight);
  return (performance.now() - t0) / 1000;
}
