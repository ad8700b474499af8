import { parseEnv } from '../../config/env.js';
import type { CliIo } from '../usage.js';
import { DeliveriesStop, openHttpClient, type DeliveriesClient, type DeliveriesPage } from './client.js';
import { openInProcessClient } from './in-process.js';
import type { DeliveriesOptions } from './options.js';

const LAST_ANSWER_WIDTH = 60;

/** The table of `deliveries list`: one line a delivery, the last answer cut to fit. */
export function deliveriesTable(page: DeliveriesPage, offset: number): string {
  if (page.deliveries.length === 0) return page.total === 0 ? 'no deliveries match\n' : `no deliveries at offset ${offset} (${page.total} match)\n`;
  const header = ['id', 'lead', 'destination', 'event', 'state', 'attempts', 'dialer id', 'last outcome', 'next attempt', 'updated', 'last answer'];
  const oneLine = (text: string | null) => {
    if (text === null) return '-';
    const flat = text.replace(/\s+/g, ' ');
    return flat.length > LAST_ANSWER_WIDTH ? `${flat.slice(0, LAST_ANSWER_WIDTH - 1)}…` : flat;
  };
  const rows = page.deliveries.map((d) => [
    d.id,
    d.leadId ?? '-',
    d.destination,
    d.event,
    d.state,
    String(d.attemptCount),
    d.dialerLeadId ?? '-',
    d.lastOutcome ?? '-',
    d.nextAttemptAt ?? '-',
    d.updatedAt,
    oneLine(d.lastAnswer),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  const shown = `${offset + 1}-${offset + page.deliveries.length} of ${page.total}`;
  return `${[line(header), ...rows.map(line)].join('\n')}\n${shown} deliveries, newest first\n`;
}

/** `leadgate deliveries …` again, against a server at `url`: what to run while a server holds the data folder. */
function viaServer(options: DeliveriesOptions): (url: string) => string {
  const args: string[] = [];
  const flag = (name: string, value: string | undefined) => value !== undefined && args.push(`--${name}`, JSON.stringify(value));
  if (options.action === 'list') {
    const q = options.query;
    flag('state', q.state);
    flag('destination', q.destination);
    flag('lead-id', q.leadId);
    flag('phone', q.phone);
    flag('template', q.templateId);
    flag('limit', q.limit);
    flag('offset', q.offset);
  } else if (options.action === 'retryOne') {
    args.push(options.id);
  } else {
    const f = options.filter;
    flag('state', f.state);
    flag('destination', f.destination);
    flag('from', f.from);
    flag('to', f.to);
  }
  if (options.json) args.push('--json');
  const verb = options.action === 'list' ? 'list' : 'retry';
  return (url) => ['leadgate deliveries', verb, ...args, '--url', url].join(' ');
}

/** `leadgate deliveries list|retry` after its arguments are parsed (options.ts): the exit code. */
export async function runDeliveries(options: DeliveriesOptions, io: CliIo): Promise<number> {
  let client: DeliveriesClient | undefined;
  try {
    client =
      options.target.kind === 'server'
        ? openHttpClient(options.target.url, options.target.adminToken)
        : await openInProcessClient({ env: parseEnv(io.env), rawEnv: io.env, viaServer: viaServer(options) });
    const out = (json: unknown, text: string) => io.stdout.write(options.json ? `${JSON.stringify(json)}\n` : text);
    if (options.action === 'list') {
      const page = await client.list(options.query);
      out(page, deliveriesTable(page, Number(options.query.offset ?? 0)));
    } else if (options.action === 'retryOne') {
      const done = await client.retryOne(options.id);
      out(done, `delivery ${done.id} is queued again\n`);
    } else {
      const done = await client.retryMany(options.filter);
      out(done, done.retried === 1 ? '1 delivery is queued again\n' : `${done.retried} deliveries are queued again\n`);
    }
    return 0;
  } catch (error) {
    if (!(error instanceof DeliveriesStop)) throw error;
    io.stderr.write(`leadgate deliveries: ${error.message}\n`);
    return error.exitCode;
  } finally {
    await client?.close();
  }
}
