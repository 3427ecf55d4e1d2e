// The request body on its way upstream. uWS pushes chunks (valid only during
// its callback); the upstream client pulls them through an async iterator, or, while it waits
// for one with nothing queued, takes each straight from uWS's read through `sink`. Only chunks
// the sink does not take are copied and queued: a body the upstream takes as fast as the client
// sends is never copied here, so an upload allocates nothing per chunk for the garbage
// collector to follow. When more than HIGH_WATER bytes wait, the downstream socket is paused,
// so a fast client cannot grow memory behind a slow upstream.
import type { HttpResponse } from 'uWebSockets.js';

const HIGH_WATER = 256 * 1024;

export class BodySource {
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private ended = false;
  private failed: Error | null = null;
  private paused = false;
  private wake: (() => void) | null = null;
  /** Bytes handed to the upstream client so far; 0 means a failed attempt can be retried. */
  pulled = 0;
  /** Bytes received from the client so far. */
  received = 0;
  /** Called on every chunk, to re-arm the client body timer. */
  onProgress: (() => void) | null = null;
  /**
   * Set by the upstream client while it waits for a chunk: offered each chunk that finds the
   * queue empty, as a view valid only during the call. It takes the whole chunk (true) or none
   * of it (false), and counts what it takes itself.
   */
  sink: ((bytes: Uint8Array) => boolean) | null = null;

  constructor(
    private readonly res: HttpResponse,
    private readonly limit: number,
    private readonly onTooLarge: () => void,
  ) {
    res.onData((chunk, isLast) => this.push(chunk, isLast));
  }

  get complete(): boolean {
    return this.ended;
  }

  private push(chunk: ArrayBuffer, isLast: boolean): void {
    // uWS may deliver more chunks of one read after the request was refused or abandoned.
    if (this.failed !== null) return;
    if (chunk.byteLength > 0) {
      this.received += chunk.byteLength;
      if (this.limit > 0 && this.received > this.limit) return this.onTooLarge();
      const bytes = new Uint8Array(chunk);
      if (this.queue.length === 0 && this.sink !== null && this.sink(bytes)) {
        this.pulled += bytes.length;
      } else {
        this.queue.push(Buffer.from(bytes));
        this.queued += bytes.length;
      }
    }
    if (isLast) this.ended = true;
    this.onProgress?.();
    if (!this.ended && this.queued > HIGH_WATER && !this.paused) {
      this.paused = true;
      this.res.pause();
    }
    // A chunk the sink took leaves the reader nothing to wake for.
    if (this.queue.length > 0 || this.ended) this.notify();
  }

  /** Ends every waiting and future read with `err` (client gone, timeout). */
  fail(err: Error): void {
    this.failed = err;
    this.notify();
  }

  /**
   * The response is about to end while the client may still be sending (an upstream that
   * answered early): the chunks still to come are dropped instead of queued, and a paused
   * client is resumed so its connection can go on. Call it while `res` may still be used.
   */
  abandon(): void {
    if (this.ended) return;
    this.failed ??= new Error('the response ended before the request body');
    this.queue.length = 0;
    this.queued = 0;
    if (this.paused) {
      this.paused = false;
      this.res.resume();
    }
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** One pass over the body for one upstream attempt. */
  [Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    return this.chunks();
  }

  private async *chunks(): AsyncGenerator<Buffer> {
    for (;;) {
      if (this.failed !== null) throw this.failed;
      const chunk = this.queue.shift();
      if (chunk !== undefined) {
        this.queued -= chunk.length;
        this.pulled += chunk.length;
        if (this.paused && this.queued <= HIGH_WATER / 2) {
          this.paused = false;
          this.res.resume();
        }
        yield chunk;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}
