import { resolve } from 'node:path';
import { parseEnv } from '../../config/env.js';
import type { CliIo } from '../usage.js';
import { AppliedUpdates, hashFile } from './applied-updates.js';
import { openHttpSender } from './http-sender.js';
import { openInProcessSender } from './in-process.js';
import type { InjectOptions } from './options.js';
import { prepareRow, type RowAction } from './prepare-row.js';
import { createProgress } from './progress.js';
import { InputError, openRows, type RowReader, type SourceRow } from './read-rows.js';
import { RejectedFile } from './rejected-file.js';
import { InjectStop, type BatchSender, type RowResult } from './sender.js';
import { n, Tally } from './tally.js';

/** `leadgate inject` after its arguments are parsed (options.ts): the exit code (0, 1 or 2). */
export async function runInject(options: InjectOptions, io: CliIo): Promise<number> {
  const say = (line: string) => io.stderr.write(`${line}\n`);

  let reader: RowReader | undefined;
  let sender: BatchSender | undefined;
  let applied: AppliedUpdates;
  const base = resolve(options.file);
  try {
    reader = await openRows(options.file);
    const fileHash = await hashFile(options.file);
    sender = options.url
      ? await openHttpSender({
          url: options.url,
          apiKey: options.apiKey!,
          templateId: options.templateId,
          campaignId: options.campaignId,
          allocationId: options.allocationId,
          allowDuplicates: options.allowDuplicates,
          warn: say,
        })
      : await openInProcessSender({
          env: parseEnv(io.env),
          rawEnv: io.env,
          ids: { templateId: options.templateId, campaignId: options.campaignId, allocationId: options.allocationId },
          allowDuplicates: options.allowDuplicates,
          warn: say,
        });
    applied = await AppliedUpdates.open(
      `${base}.inject-state.json`,
      AppliedUpdates.runKey({
        file: fileHash,
        destination: sender.destination,
        template: options.templateId.trim(),
        campaign: options.campaignId.trim(),
        allocation: options.allocationId.trim(),
      }),
    );
  } catch (error) {
    // everything before the first row is sent is configuration: the file, the environment, the
    // rules, the target, the store or server, the state of an earlier run
    reader?.close();
    await sender?.close().catch(() => undefined);
    say(`leadgate inject: ${error instanceof Error ? error.message : String(error)}`);
    return error instanceof InjectStop ? error.exitCode : 2;
  }
  const rejected = new RejectedFile(`${base}.rejected.csv`, reader.format, () => reader.columns());
  const tally = new Tally();
  let stopped: { message: string; exitCode: 1 | 2 } | undefined;
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    say('\ninterrupted: finishing the batch in flight (again to quit at once)');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const progress = createProgress({ tally, totalBytes: reader.totalBytes, bytesRead: () => reader.bytesRead(), stream: io.stderr, intervalMs: options.progressIntervalMs });
  try {
    await rejected.reset();
    await runBatches(reader, options.batchSize, () => interrupted, async (batch) => {
      await injectBatch(batch, sender, applied, rejected, tally);
      progress.update();
    });
    if (interrupted) stopped = { message: `interrupted after ${n(tally.rows)} rows`, exitCode: 1 };
  } catch (error) {
    if (!(error instanceof InjectStop || error instanceof InputError)) {
      stopped = { message: error instanceof Error ? (error.stack ?? error.message) : String(error), exitCode: 1 };
    } else {
      stopped = { message: error.message, exitCode: error instanceof InjectStop ? error.exitCode : 1 };
    }
  } finally {
    progress.stop();
    reader.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await rejected.close();
    await applied.save();
    await sender.close();
  }

  if (stopped) say(`leadgate inject: stopped after ${n(tally.rows)} rows: ${stopped.message}\nRows not reached were not sent; running the same command again is safe.`);
  const summary = summarize(tally, rejected, applied.resumed);
  io.stdout.write(options.json ? `${JSON.stringify({ ...summary.json, stopped: stopped?.message ?? null })}\n` : summary.text);
  if (stopped) return stopped.exitCode;
  return tally.rejected > 0 ? 1 : 0;
}

/**
 * Reads batches while the one before is in flight, so at most two batches are in memory; the
 * reader is not pulled (so the file stream pauses) while both are taken.
 */
async function runBatches(reader: RowReader, size: number, stop: () => boolean, handle: (batch: SourceRow[]) => Promise<void>): Promise<void> {
  let batch: SourceRow[] = [];
  let inFlight: Promise<void> | undefined;
  const dispatch = async () => {
    const rows = batch;
    batch = [];
    await inFlight;
    inFlight = handle(rows);
    // awaited at the next dispatch or at the end; until then a failure must not count as unhandled
    inFlight.catch(() => {});
  };
  try {
    for await (const row of reader.rows()) {
      batch.push(row);
      if (batch.length >= size) await dispatch();
      if (stop()) break;
    }
  } catch (error) {
    // the file failed part-way: let the batch in flight finish (and be counted) before stopping
    await inFlight?.catch(() => {});
    throw error;
  }
  if (batch.length > 0 && !stop()) await dispatch();
  await inFlight;
}

type Outcome = { kind: 'result'; result: RowResult; action: RowAction } | { kind: 'local'; code: number; message: string } | { kind: 'applied' };

/** One batch: prepare the rows, send those that need sending, count and record every answer in row order. */
async function injectBatch(batch: SourceRow[], sender: BatchSender, applied: AppliedUpdates, rejected: RejectedFile, tally: Tally): Promise<void> {
  const outcomes: Outcome[] = new Array(batch.length);
  const toSend: unknown[] = [];
  const sent: Array<{ index: number; action: RowAction }> = [];
  batch.forEach((row, index) => {
    if (row.problem !== undefined) {
      outcomes[index] = { kind: 'local', code: 204, message: `MALFORMED_REQUEST: ${row.problem}` };
      return;
    }
    const prepared = prepareRow(row.value);
    if ((prepared.action === 'MODIFY' || prepared.action === 'REALLOCATE') && applied.has(row.number)) {
      outcomes[index] = { kind: 'applied' };
      return;
    }
    toSend.push(prepared.send);
    sent.push({ index, action: prepared.action });
  });
  const results = toSend.length > 0 ? await sender.send(toSend) : [];
  results.forEach((result, k) => (outcomes[sent[k]!.index] = { kind: 'result', result, action: sent[k]!.action }));

  for (const [index, outcome] of outcomes.entries()) {
    const row = batch[index]!;
    if (outcome.kind === 'applied') {
      tally.skipApplied();
    } else if (outcome.kind === 'local') {
      tally.count(outcome.code, 'MALFORMED_REQUEST', 'rejected');
      await rejected.write(row, outcome.code, outcome.message);
    } else {
      const { result, action } = outcome;
      if (result.code === 0) {
        tally.count(0, result.message, 'accepted');
        if (action === 'MODIFY' || action === 'REALLOCATE') applied.add(row.number);
      } else if (result.code === 112 && action === 'ADD') {
        tally.count(112, result.message, 'alreadyImported');
      } else {
        tally.count(result.code, result.message, 'rejected');
        await rejected.write(row, result.code, result.description ? `${result.message}: ${result.description}` : result.message);
      }
    }
  }
  await applied.save();
}

interface Summary {
  text: string;
  json: Record<string, unknown>;
}

function summarize(tally: Tally, rejected: RejectedFile, resumed: boolean): Summary {
  const seconds = tally.seconds();
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const codes = [...tally.byCode.entries()].sort(([a], [b]) => a - b);
  const lines = ['', 'code  message                                      rows'];
  for (const [code, { message, rows }] of codes) {
    const label = code === 112 ? `${message} (already imported)` : message;
    lines.push(`${String(code).padStart(4)}  ${label.padEnd(40)} ${n(rows).padStart(9)}`);
  }
  if (tally.alreadyApplied > 0) lines.push(`${'-'.padStart(4)}  ${'update already applied (skipped)'.padEnd(40)} ${n(tally.alreadyApplied).padStart(9)}`);
  lines.push(
    '',
    `${n(tally.rows)} rows in ${seconds.toFixed(1)} s (${n(tally.rate())} rows/s): ${n(tally.accepted)} accepted, ` +
      `${n(tally.alreadyImported + tally.alreadyApplied)} already imported, ${n(tally.rejected)} rejected`,
    rejected.count > 0 ? `rejected rows: ${rejected.path}` : 'no rejected rows',
    `peak memory (RSS): ${peakRssMb.toFixed(0)} MB${resumed ? '; update rows applied by an earlier run of this file were skipped' : ''}`,
    '',
  );
  return {
    text: lines.join('\n'),
    json: {
      rows: tally.rows,
      accepted: tally.accepted,
      alreadyImported: tally.alreadyImported,
      alreadyApplied: tally.alreadyApplied,
      rejected: tally.rejected,
      byCode: Object.fromEntries(codes.map(([code, { rows }]) => [String(code), rows])),
      rejectedFile: rejected.count > 0 ? rejected.path : null,
      seconds: Number(seconds.toFixed(3)),
      rowsPerSecond: Math.round(tally.rate()),
      peakRssMb: Math.round(peakRssMb),
    },
  };
}
