// Waiting on real processes. Integration tests run against real time (the daemon's timers are
// its own), so they poll for the state they expect instead of sleeping a guessed amount.

/** Resolves when `cond()` is true, polled every `everyMs`; rejects with `what` on timeout. */
export async function until(
  what: string,
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  everyMs = 20,
): Promise<number> {
  const start = performance.now();
  while (!(await cond())) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await delay(everyMs);
  }
  return performance.now() - start;
}

/** A pause that is part of the scenario itself (a client that sends slowly, a pacing loop). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Samples `fn` every `everyMs` until stopped; `max` is the largest value seen. */
export function sampler(fn: () => number, everyMs: number) {
  const samples: number[] = [];
  const take = (): void => {
    try {
      samples.push(fn());
    } catch {
      // The process may have exited between two samples.
    }
  };
  take();
  // Unref'd: a test that fails half way must not keep the test process alive.
  const timer = setInterval(take, everyMs).unref();
  return {
    samples,
    get max(): number {
      return Math.max(...samples);
    },
    stop(): number[] {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

type Stoppable = { stop(): Promise<unknown> } | { close(): Promise<unknown> };

/** Stops daemons, upstreams and clients in order, skipping any that never started. */
export async function stopAll(...items: Array<Stoppable | undefined>): Promise<void> {
  for (const item of items) {
    if (!item) continue;
    await ('stop' in item ? item.stop() : item.close()).catch(() => undefined);
  }
}
