// Bodies stream through with backpressure: a 1 GiB upload and a 1 GiB download pass while the
// daemon's resident memory (sampled from /proc) stays bounded, and a client that stops reading
// stops the upstream instead of growing the daemon. The test side streams too: it generates,
// hashes and counts bytes on the fly and never holds a body.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { NO_PASSIVE, cluster, route } from '../helpers/config.js';
import { startDaemon, type Daemon } from '../helpers/daemon.js';
import { parseHead, headerValue } from '../helpers/http1.js';
import { RawClient, req } from '../helpers/raw-client.js';
import { startUpstream, type ScriptedUpstream } from '../helpers/upstream.js';
import { delay, sampler, stopAll, until } from '../helpers/wait.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
/** One random MiB, repeated: cheap to produce, still a real hash check end to end. */
const CHUNK = randomBytes(MiB);

function patternSha(total: number): string {
  const h = createHash('sha256');
  for (let sent = 0; sent < total; sent += CHUNK.length) {
    h.update(CHUNK.subarray(0, Math.min(CHUNK.length, total - sent)));
  }
  return h.digest('hex');
}

interface Download {
  status: number;
  length: number;
  sha256: string;
  socket: net.Socket;
  done: Promise<void>;
}

/** GETs `target` and hashes the body as it arrives; `done` resolves at the end of the body. */
function download(port: number, target: string): Promise<Download> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const hash = createHash('sha256');
    let head = Buffer.alloc(0);
    let expected = -1;
    let finish: () => void;
    const out: Download = {
      status: 0,
      length: 0,
      sha256: '',
      socket,
      done: new Promise<void>((r) => (finish = r)),
    };
    const body = (bytes: Buffer): void => {
      out.length += bytes.length;
      hash.update(bytes);
      if (out.length >= expected) {
        out.sha256 = hash.digest('hex');
        socket.destroy();
        finish();
      }
    };
    socket.on('data', (d: Buffer) => {
      if (expected >= 0) return body(d);
      head = Buffer.concat([head, d]);
      const parsed = parseHead(head, 0);
      if (!parsed) return;
      out.status = Number(parsed.head.startLine.split(' ')[1]);
      expected = Number(headerValue(parsed.head.headers, 'content-length') ?? 0);
      resolve(out);
      body(head.subarray(parsed.end));
    });
    socket.on('error', reject);
    socket.on('close', () => finish?.());
    socket.write(req(`GET ${target} HTTP/1.1`, 'Host: example.test'));
  });
}

describe('streaming with bounded memory', { timeout: 300_000 }, () => {
  let u: ScriptedUpstream;
  let jw: Daemon;

  before(async () => {
    u = await startUpstream({
      name: 'u',
      handler: async (r, reply) => {
        const size = /\/download\/(?:slow\/)?(\d+)/.exec(r.target)?.[1];
        if (size) {
          await reply.stream(
            Number(size),
            r.target.includes('slow') ? CHUNK.subarray(0, 65536) : CHUNK,
          );
        } else {
          reply.echo();
        }
      },
    });
    jw = await startDaemon({
      clusters: [
        cluster('api', [u], {
          health: NO_PASSIVE,
          timeouts: { header: '30s', idle: '30s', total: 0 },
        }),
      ],
      routes: [route('api', { prefix: '/' })],
    });
  });

  after(() => stopAll(jw, u));

  /**
   * Uploads `total` bytes, framed by Content-Length or chunked; returns the echo and the RSS
   * peak. uWS closes a request whose Content-Length has ten digits or more (README, "What Jetway
   * does not do yet"), so a length-framed upload stops just short of 1 GB.
   */
  async function upload(framing: 'length' | 'chunked', total: number) {
    const base = jw.rss();
    const rss = sampler(() => jw.rss(), 100);
    const c = await RawClient.connect(jw.port);
    try {
      const te = framing === 'length' ? `Content-Length: ${total}` : 'Transfer-Encoding: chunked';
      c.send(req('POST /upload HTTP/1.1', 'Host: example.test', te));
      const chunkLine = Buffer.from(`${CHUNK.length.toString(16)}\r\n`);
      for (let sent = 0; sent < total; sent += CHUNK.length) {
        const part = CHUNK.subarray(0, Math.min(CHUNK.length, total - sent));
        const line = part.length === CHUNK.length ? chunkLine : `${part.length.toString(16)}\r\n`;
        if (framing === 'chunked') c.socket.write(line);
        const more = c.socket.write(part);
        if (framing === 'chunked') c.socket.write('\r\n');
        if (!more) await drainOrStall(c, sent);
      }
      if (framing === 'chunked') c.socket.write('0\r\n\r\n');
      const res = await c.response({ timeoutMs: 60_000 });
      const echo = JSON.parse(res.body.toString()) as { bodyLength: number; bodySha256: string };
      return { status: res.status, echo, growth: Math.max(...rss.stop()) - base };
    } finally {
      rss.stop();
      c.destroy();
    }
  }

  /** Waits for the socket to drain; fails fast when the daemon stops taking bytes or closes. */
  async function drainOrStall(c: RawClient, sent: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    let onClose: (() => void) | undefined;
    const got = () => u.connections.reduce((n, k) => n + k.bytesReceived, 0);
    const failed = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`upload stalled for 15 s after ${sent} bytes; upstream got ${got()}`));
      }, 15_000);
      onClose = () => reject(new Error(`closed by the daemon after ${sent} bytes, no answer`));
      c.socket.once('close', onClose);
    });
    try {
      await Promise.race([new Promise((r) => c.socket.once('drain', r)), failed]);
    } finally {
      clearTimeout(timer);
      c.socket.off('close', onClose!);
    }
  }

  for (const [framing, total] of [
    ['length', 999_999_999],
    ['chunked', GiB],
  ] as const) {
    it(
      `streams a ${total}-byte upload (${framing}) to the upstream with bounded daemon memory`,
      { timeout: 120_000 },
      async (t) => {
        const r = await upload(framing, total);
        t.diagnostic(`daemon RSS growth ${Math.round(r.growth / MiB)} MiB`);
        assert.equal(r.status, 200);
        assert.equal(r.echo.bodyLength, total);
        assert.equal(r.echo.bodySha256, patternSha(total));
        assert.ok(r.growth < 300 * MiB, `daemon RSS grew ${Math.round(r.growth / MiB)} MiB`);
      },
    );
  }

  // Jetway writes a chunk straight from the client's read while the upstream keeps up, and
  // queues copies once it does not: an upstream that stops reading mid-upload takes both ways.
  for (const framing of ['length', 'chunked'] as const) {
    it(`passes a ${framing} upload whole when the upstream stops reading for a while`, async () => {
      const total = 64 * MiB;
      const release = u.holdReads();
      const timer = setTimeout(release, 1500);
      try {
        const r = await upload(framing, total);
        assert.equal(r.status, 200);
        assert.equal(r.echo.bodyLength, total);
        assert.equal(r.echo.bodySha256, patternSha(total));
      } finally {
        clearTimeout(timer);
        release();
      }
    });
  }

  it(
    'streams a 1 GiB download to the client with bounded daemon memory',
    { timeout: 120_000 },
    async (t) => {
      const base = jw.rss();
      const rss = sampler(() => jw.rss(), 100);
      const d = await download(jw.port, `/download/${GiB}`);
      try {
        await d.done;
      } finally {
        rss.stop();
        d.socket.destroy();
      }
      const growth = rss.max - base;
      t.diagnostic(`daemon RSS growth ${Math.round(growth / MiB)} MiB`);
      assert.equal(d.status, 200);
      assert.equal(d.length, GiB);
      assert.equal(d.sha256, patternSha(GiB));
      assert.ok(growth < 300 * MiB, `daemon RSS grew ${Math.round(growth / MiB)} MiB`);
    },
  );

  it('slows the upstream down when the client stops reading', { timeout: 60_000 }, async (t) => {
    const total = 256 * MiB;
    const base = jw.rss();
    const d = await download(jw.port, `/download/slow/${total}`);
    try {
      await until('the first MiB to arrive', () => d.length >= MiB, 10_000);
      d.socket.pause();
      const readAtPause = d.length;
      await delay(1000);
      const conn = u.connections.find((k) => k.requests.some((r) => r.target.includes('slow')))!;
      const start = conn.requests.find((r) => r.target.includes('slow'))!.writtenBefore;
      const writtenAfter1s = conn.bytesWritten() - start;
      await delay(2000);
      const writtenAfter3s = conn.bytesWritten() - start;
      const growth = jw.rss() - base;
      const buffered = writtenAfter3s - readAtPause;
      t.diagnostic(
        `buffered ${Math.round(buffered / MiB)} MiB, RSS +${Math.round(growth / MiB)} MiB`,
      );

      assert.ok(
        writtenAfter3s - writtenAfter1s < 4 * MiB,
        `the upstream kept sending: ${writtenAfter3s - writtenAfter1s} bytes in 2 s`,
      );
      assert.ok(buffered < 64 * MiB, `${Math.round(buffered / MiB)} MiB buffered in between`);
      assert.ok(growth < 100 * MiB, `RSS grew ${Math.round(growth / MiB)} MiB`);

      d.socket.resume();
      await d.done;
      assert.equal(d.length, total);
    } finally {
      d.socket.destroy();
    }
  });
});
