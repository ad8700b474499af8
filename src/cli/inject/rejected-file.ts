import { createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { once } from 'node:events';
import { isRecord, type InputFormat, type SourceRow } from './read-rows.js';

/** RFC 4180 quoting: a cell with a quote, comma, line break or edge spaces is quoted, quotes doubled. */
export function csvCell(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvLine(cells: readonly string[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * `<file>.rejected.csv`, written as rows are answered: the input's columns, then `code` and
 * `message`. CSV rows keep their cells exactly as read. JSON rows are laid out by the keys of the
 * file's first object; keys that other rows add go, as JSON, into a last column `extraFields`.
 * The file is created at the first rejection, and a previous run's file is removed at the start.
 */
export class RejectedFile {
  #stream: WriteStream | undefined;
  #columns: readonly string[] = [];
  count = 0;

  constructor(
    readonly path: string,
    private readonly format: InputFormat,
    private readonly columns: () => readonly string[],
  ) {}

  async reset(): Promise<void> {
    await rm(this.path, { force: true });
  }

  async write(row: SourceRow, code: number, message: string): Promise<void> {
    if (!this.#stream) {
      this.#columns = this.columns();
      this.#stream = createWriteStream(this.path, { flags: 'w' });
      const extra = this.format === 'csv' ? [] : ['extraFields'];
      await this.#put(csvLine([...this.#columns, 'code', 'message', ...extra]));
    }
    this.count += 1;
    await this.#put(csvLine(this.#cells(row, code, message)));
  }

  #cells(row: SourceRow, code: number, message: string): string[] {
    const status = [String(code), message];
    if (this.format === 'csv') {
      const cells = row.cells ?? [];
      return [...this.#columns.map((_, i) => cells[i] ?? ''), ...status];
    }
    if (!isRecord(row.value)) return [...this.#columns.map(() => ''), ...status, cellText(row.value)];
    const value = row.value;
    const known = new Set(this.#columns);
    const others = Object.keys(value).filter((k) => !known.has(k));
    const extra = others.length === 0 ? '' : JSON.stringify(Object.fromEntries(others.map((k) => [k, value[k]])));
    return [...this.#columns.map((c) => cellText(value[c])), ...status, extra];
  }

  async #put(text: string): Promise<void> {
    const stream = this.#stream!;
    if (!stream.write(text)) await once(stream, 'drain');
  }

  async close(): Promise<void> {
    const stream = this.#stream;
    if (!stream) return;
    await new Promise<void>((resolve, reject) => {
      stream.once('error', reject);
      stream.end(() => resolve());
    });
  }
}
