import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { InjectStop } from './sender.js';

/** SHA-256 of a file's bytes, streamed. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

interface StateFile {
  version: 1;
  /** the file's content, the destination and the target, hashed: state from another run is not used */
  run: string;
  /** bit n set: row n+1 is a MODIFY/REALLOCATE row that was applied (code 0) */
  applied: string;
}

/**
 * Which update rows (MODIFY, REALLOCATE) of this file were already applied to this destination,
 * kept in `<file>.inject-state.json` (one bit a row: 125 KB for a million rows). ADD rows need no
 * state: the store recognises them by external id (112). An update row, though, would be applied
 * again, and a REALLOCATE row would copy the lead a second time, so a re-run of the same file
 * skips the update rows it finds here. Rejected update rows are not recorded: they are tried again.
 */
export class AppliedUpdates {
  #bits: Uint8Array;
  #dirty = false;

  private constructor(
    readonly path: string,
    private readonly run: string,
    bits: Uint8Array,
    /** whether state of an earlier run of the same file and destination was found */
    readonly resumed: boolean,
  ) {
    this.#bits = bits;
  }

  static runKey(parts: Record<string, string>): string {
    return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  }

  /**
   * Reads the state of an earlier run. No file is no state; a file that is there but cannot be
   * read or understood stops the import (InjectStop), because taking it for "nothing applied"
   * would apply its MODIFY and REALLOCATE rows a second time.
   */
  static async open(path: string, run: string): Promise<AppliedUpdates> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new AppliedUpdates(path, run, new Uint8Array(0), false);
      throw new InjectStop(`cannot read ${path} (${(error as Error).message}); it records the update rows already applied: fix its permissions, or delete it to apply them again`, 2);
    }
    let state: Partial<StateFile>;
    try {
      state = JSON.parse(text) as Partial<StateFile>;
    } catch {
      throw new InjectStop(`${path} is not a state file leadgate wrote (not JSON); delete it to apply the update rows again`, 2);
    }
    if (state.version !== 1 || typeof state.run !== 'string' || typeof state.applied !== 'string') {
      throw new InjectStop(`${path} is not a state file leadgate wrote; delete it to apply the update rows again`, 2);
    }
    // State of another file content, destination or target says nothing about this run.
    if (state.run !== run) return new AppliedUpdates(path, run, new Uint8Array(0), false);
    return new AppliedUpdates(path, run, new Uint8Array(Buffer.from(state.applied, 'base64')), true);
  }

  has(rowNumber: number): boolean {
    const i = rowNumber - 1;
    return ((this.#bits[i >> 3] ?? 0) & (1 << (i & 7))) !== 0;
  }

  add(rowNumber: number): void {
    const i = rowNumber - 1;
    const byte = i >> 3;
    if (byte >= this.#bits.length) {
      const grown = new Uint8Array(Math.max(byte + 1, this.#bits.length * 2, 1024));
      grown.set(this.#bits);
      this.#bits = grown;
    }
    this.#bits[byte]! |= 1 << (i & 7);
    this.#dirty = true;
  }

  /** Written atomically (temp file, rename) after every batch that applied an update. */
  async save(): Promise<void> {
    if (!this.#dirty) return;
    const state: StateFile = { version: 1, run: this.run, applied: Buffer.from(this.#trimmed()).toString('base64') };
    const temp = `${this.path}.tmp`;
    await writeFile(temp, JSON.stringify(state));
    await rename(temp, this.path);
    this.#dirty = false;
  }

  #trimmed(): Uint8Array {
    let end = this.#bits.length;
    while (end > 0 && this.#bits[end - 1] === 0) end -= 1;
    return this.#bits.subarray(0, end);
  }
}
