import { Presets, SingleBar } from 'cli-progress';
import { n, progressLine, type Tally } from './tally.js';

export interface Progress {
  /** after every batch */
  update(): void;
  stop(): void;
}

export interface ProgressOptions {
  tally: Tally;
  totalBytes: number;
  bytesRead: () => number;
  /** where progress goes (stderr: stdout keeps only the summary) */
  stream: NodeJS.WriteStream;
  /** plain lines every this many ms when the stream is not a terminal */
  intervalMs: number;
}

/** A cli-progress bar on a terminal (by bytes of the file read, so no row count is needed first); plain periodic lines otherwise. */
export function createProgress(options: ProgressOptions): Progress {
  const { tally, stream } = options;
  const percent = () => (options.totalBytes > 0 ? Math.min(100, (100 * options.bytesRead()) / options.totalBytes) : 100);

  if (stream.isTTY) {
    const bar = new SingleBar(
      {
        stream,
        format: '{bar} {percentage}% | {rows} rows | {ok} ok | {already} already imported | {rejected} rejected | {rate} rows/s | ETA {eta_formatted}',
        hideCursor: true,
        fps: 5,
        etaBuffer: 50,
      },
      Presets.shades_classic,
    );
    const payload = () => ({
      rows: n(tally.rows),
      ok: n(tally.accepted),
      already: n(tally.alreadyImported + tally.alreadyApplied),
      rejected: n(tally.rejected),
      rate: n(tally.rate()),
    });
    bar.start(Math.max(options.totalBytes, 1), 0, payload());
    return {
      update: () => bar.update(Math.min(options.bytesRead(), options.totalBytes), payload()),
      stop: () => {
        bar.update(Math.min(options.bytesRead(), options.totalBytes), payload());
        bar.stop();
      },
    };
  }

  const timer = setInterval(() => stream.write(`${progressLine(tally, percent())}\n`), options.intervalMs);
  timer.unref();
  return {
    update: () => {},
    stop: () => clearInterval(timer),
  };
}
