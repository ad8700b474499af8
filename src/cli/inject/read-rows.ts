import { createReadStream, type ReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { pipeline } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { parse, CsvError } from 'csv-parse';

/** A file leadgate inject cannot read at all (exit 2), or a fault part-way through it. */
export class InputError extends Error {}

/** One row of the input, numbered from 1 (the CSV header is not a row). */
export interface SourceRow {
  number: number;
  /** what goes to the injector: an object of fields (anything else is answered 204) */
  value: unknown;
  /** CSV: the record's cells as read, for the rejected file */
  cells?: string[];
  /** a problem found while reading (CSV field count, a JSON line that is not JSON): rejected here with 204 */
  problem?: string;
}

export type InputFormat = 'csv' | 'jsonl' | 'json-array';

export interface RowReader {
  format: InputFormat;
  totalBytes: number;
  /** CSV: the header. JSON: the keys of the first object (known once that row was read). */
  columns(): readonly string[];
  rows(): AsyncGenerator<SourceRow>;
  bytesRead(): number;
  /** stops reading (the import ended early) */
  close(): void;
}

/** One CSV record, or one JSON line, may not be larger than this (a stray quote must not swallow the file). */
export const MAX_RECORD_BYTES = 8 * 1024 * 1024;
/** A `.json` array is read whole (no streaming JSON parser is a dependency), so only up to this size. */
export const MAX_JSON_ARRAY_BYTES = 16 * 1024 * 1024;

/**
 * Opens `path` by its extension: `.csv` (header row, values as strings), `.jsonl` / `.ndjson`
 * (one object per line, streamed), or `.json` (an array, read whole up to 16 MiB; a `.json` file
 * that starts with `{` is read as JSON lines).
 */
export async function openRows(path: string): Promise<RowReader> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new InputError(`${path} is not a file`);
    size = info.size;
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`cannot read ${path}: ${(error as Error).message}`);
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return openCsv(path, size);
  if (ext === '.jsonl' || ext === '.ndjson') return openJsonLines(path, size);
  if (ext === '.json') {
    const first = await firstNonBlankChar(path);
    if (first === '[') return openJsonArray(path, size);
    if (first === '{' || first === undefined) return openJsonLines(path, size);
    throw new InputError(`${path}: a .json file must hold an array of lead objects, or one object per line`);
  }
  throw new InputError(`${path}: unknown file type '${ext}'; use .csv, .json (an array) or .jsonl (one object per line)`);
}

async function firstNonBlankChar(path: string): Promise<string | undefined> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const text = buffer.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '');
    return text.trimStart()[0];
  } finally {
    await handle.close();
  }
}

function countingStream(path: string): { stream: ReadStream; bytesRead: () => number } {
  const stream = createReadStream(path, { highWaterMark: 64 * 1024 });
  return { stream, bytesRead: () => stream.bytesRead };
}

async function openCsv(path: string, size: number): Promise<RowReader> {
  const { stream, bytesRead } = countingStream(path);
  const parser = parse({ bom: true, relax_column_count: true, skip_empty_lines: true, max_record_size: MAX_RECORD_BYTES });
  // pipeline destroys the parser when the file fails, so the loop below sees the error
  pipeline(stream, parser, () => {});
  const records = parser[Symbol.asyncIterator]() as AsyncIterator<string[]>;

  const headerRecord = await nextRecord(path, records);
  if (headerRecord === undefined) throw new InputError(`${path} is empty: the first row must name the columns`);
  const columns = headerRecord.map((name) => name.trim());
  columns.forEach((name, i) => {
    if (name === '') throw new InputError(`${path}: column ${i + 1} of the header has no name`);
    if (columns.indexOf(name) !== i) throw new InputError(`${path}: the header names column '${name}' twice`);
  });

  return {
    format: 'csv',
    totalBytes: size,
    columns: () => columns,
    bytesRead,
    close: () => parser.destroy(),
    async *rows() {
      let number = 0;
      for (;;) {
        const cells = await nextRecord(path, records);
        if (cells === undefined) return;
        number += 1;
        // fromEntries defines own properties, so a column named __proto__ stays a plain field
        const value = Object.fromEntries(columns.map((name, i) => [name, cells[i] ?? '']));
        if (cells.length === columns.length) {
          yield { number, value, cells };
        } else {
          const extra = cells.length > columns.length ? `; extra cells: ${JSON.stringify(cells.slice(columns.length))}` : '';
          yield { number, value, cells, problem: `the row has ${cells.length} cells, the header has ${columns.length}${extra}` };
        }
      }
    },
  };
}

async function nextRecord(path: string, records: AsyncIterator<string[]>): Promise<string[] | undefined> {
  try {
    const next = await records.next();
    return next.done ? undefined : next.value;
  } catch (error) {
    if (error instanceof CsvError) throw new InputError(`${path}: ${error.message}`);
    throw new InputError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

/** Splits a byte stream into lines without holding more than one line (and one chunk) in memory. */
async function* lines(path: string, stream: ReadStream): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let first = true;
  try {
    for await (const chunk of stream) {
      let text = pending + decoder.write(chunk as Buffer);
      if (first) {
        text = text.replace(/^\uFEFF/, '');
        first = false;
      }
      const parts = text.split('\n');
      pending = parts.pop() ?? '';
      if (pending.length > MAX_RECORD_BYTES) throw new InputError(`${path}: a line is longer than ${MAX_RECORD_BYTES} bytes`);
      for (const line of parts) yield line.endsWith('\r') ? line.slice(0, -1) : line;
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`cannot read ${path}: ${(error as Error).message}`);
  }
  const last = pending + decoder.end();
  if (last.length > 0) yield last.endsWith('\r') ? last.slice(0, -1) : last;
}

function openJsonLines(path: string, size: number): RowReader {
  const { stream, bytesRead } = countingStream(path);
  let columns: string[] | undefined;
  return {
    format: 'jsonl',
    totalBytes: size,
    columns: () => columns ?? [],
    bytesRead,
    close: () => stream.destroy(),
    async *rows() {
      let number = 0;
      for await (const line of lines(path, stream)) {
        if (line.trim() === '') continue;
        number += 1;
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch (error) {
          yield { number, value: line, problem: `the line is not JSON: ${(error as Error).message}` };
          continue;
        }
        columns ??= isRecord(value) ? Object.keys(value) : undefined;
        yield { number, value };
      }
    },
  };
}

async function openJsonArray(path: string, size: number): Promise<RowReader> {
  if (size > MAX_JSON_ARRAY_BYTES) {
    throw new InputError(
      `${path} is a JSON array of ${(size / 1024 / 1024).toFixed(0)} MiB; arrays are read whole, up to ${MAX_JSON_ARRAY_BYTES / 1024 / 1024} MiB. ` +
        `Give larger files as JSON lines, one object per line (e.g. jq -c '.[]' ${path} > leads.jsonl), or as CSV`,
    );
  }
  let rows: unknown;
  try {
    rows = JSON.parse((await readFile(path, 'utf8')).replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new InputError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(rows)) throw new InputError(`${path} must hold an array of lead objects`);
  const first = rows.find(isRecord);
  const columns = first ? Object.keys(first) : [];
  let read = 0;
  return {
    format: 'json-array',
    totalBytes: size,
    columns: () => columns,
    bytesRead: () => read,
    close: () => {},
    async *rows() {
      for (const [index, value] of (rows as unknown[]).entries()) {
        read = Math.round((size * (index + 1)) / (rows as unknown[]).length);
        yield { number: index + 1, value };
      }
    },
  };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
