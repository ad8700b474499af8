export interface Debounce {
  /** (re)starts the wait */
  trigger(): void;
  /** a call is waiting to happen */
  pending(): boolean;
  cancel(): void;
}

/**
 * Calls `fn` once events have been quiet for `waitMs`, and no later than `maxWaitMs` after the
 * first event of a burst, so a file written to without pause still gets reloaded. The timer is
 * unref'd: a pending reload never keeps the process alive.
 */
export function trailingDebounce(fn: () => void, waitMs: number, maxWaitMs: number): Debounce {
  let timer: NodeJS.Timeout | undefined;
  let burstStart = 0;
  const fire = () => {
    timer = undefined;
    fn();
  };
  return {
    trigger() {
      const now = performance.now();
      if (timer === undefined) burstStart = now;
      else clearTimeout(timer);
      timer = setTimeout(fire, Math.max(0, Math.min(waitMs, burstStart + maxWaitMs - now)));
      timer.unref();
    },
    pending: () => timer !== undefined,
    cancel() {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
