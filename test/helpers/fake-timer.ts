// A Timer whose clock moves only when the test says so; due callbacks run in time order.
import type { Timer } from '../../ts/health/active.js';

interface Entry {
  at: number;
  seq: number;
  fn: () => void;
}

export class FakeTimer implements Timer {
  private time = 0;
  private seq = 0;
  private entries: Entry[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const entry = { at: this.time + ms, seq: this.seq++, fn };
    this.entries.push(entry);
    return entry;
  }

  clearTimeout(handle: unknown): void {
    this.entries = this.entries.filter((e) => e !== handle);
  }

  /** Timers still waiting. */
  get pending(): number {
    return this.entries.length;
  }

  /**
   * Moves the clock `ms` forward, running each callback that falls due at its own time and
   * letting the promises it started settle before the next one runs.
   */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    await settle();
    for (let next = this.due(end); next; next = this.due(end)) {
      this.entries = this.entries.filter((e) => e !== next);
      this.time = next.at;
      next.fn();
      await settle();
    }
    this.time = end;
  }

  private due(end: number): Entry | undefined {
    let first: Entry | undefined;
    for (const e of this.entries) {
      if (e.at <= end && (!first || e.at < first.at || (e.at === first.at && e.seq < first.seq))) {
        first = e;
      }
    }
    return first;
  }
}

/** Lets every pending promise callback run (one turn of the event loop, no timer involved). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
