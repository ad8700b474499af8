/**
 * The part of cli-progress 3 (a CommonJS package without bundled types) that `leadgate inject`
 * uses. Kept here rather than adding @types/cli-progress as another dependency.
 */
declare module 'cli-progress' {
  export interface Options {
    format?: string;
    stream?: NodeJS.WritableStream;
    fps?: number;
    barsize?: number;
    hideCursor?: boolean;
    clearOnComplete?: boolean;
    stopOnComplete?: boolean;
    etaBuffer?: number;
    formatValue?: (value: number, options: Options, type: string) => string;
  }

  export interface Preset {
    format: string;
    barCompleteChar: string;
    barIncompleteChar: string;
  }

  export class SingleBar {
    constructor(options: Options, preset?: Preset);
    start(total: number, startValue: number, payload?: Record<string, unknown>): void;
    update(value: number, payload?: Record<string, unknown>): void;
    setTotal(total: number): void;
    stop(): void;
  }

  export const Presets: { legacy: Preset; shades_classic: Preset; shades_grey: Preset; rect: Preset };
}
