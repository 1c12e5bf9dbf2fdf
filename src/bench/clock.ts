/** Time as the scenarios see it: injected, so tests run on a virtual clock. */
export interface Clock {
  /** Milliseconds from an arbitrary origin, monotonic. */
  now(): number;
  /** Resolves after `ms` milliseconds (at once for ms <= 0), or early when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The process's monotonic clock. */
export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || signal?.aborted === true) {
        resolve();
        return;
      }
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/** A clock that only moves when told: `advance` moves it, and pending sleeps fire in time order. */
export interface VirtualClock extends Clock {
  /** Moves time forward (a fake runtime "taking" `ms`). */
  advance(ms: number): void;
}

/**
 * A discrete-event clock for tests: each sleep is a timer; once the microtasks have settled, the
 * earliest timer fires and time jumps to it. Concurrent sleepers (arrivals, requests in flight) so
 * interleave as they would in real time, without waiting.
 */
export function virtualClock(start = 0): VirtualClock {
  let now = start;
  let seq = 0;
  const timers: { at: number; seq: number; fire: () => void }[] = [];
  let pumping = false;
  const pump = (): void => {
    pumping = false;
    if (timers.length === 0) return;
    timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const timer = timers.shift()!;
    now = Math.max(now, timer.at);
    timer.fire();
    schedule();
  };
  const schedule = (): void => {
    if (pumping || timers.length === 0) return;
    pumping = true;
    // setImmediate runs after every pending microtask: what a fired timer set off has settled by then.
    setImmediate(pump);
  };
  return {
    now: () => now,
    advance(ms) {
      now += ms;
    },
    sleep(ms, signal) {
      if (ms <= 0 || signal?.aborted === true) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = {
          at: now + ms,
          seq: seq++,
          fire: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        const onAbort = (): void => {
          const i = timers.indexOf(timer);
          if (i >= 0) timers.splice(i, 1);
          resolve();
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        timers.push(timer);
        schedule();
      });
    },
  };
}
