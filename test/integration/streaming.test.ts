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
        const size = /\/download\/(\d+)/.exec(r.target)?.[1];
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

  it(
    'streams a 1 GiB upload to the upstream with bounded daemon memory',
    {
      timeout: 120_000,
    },
    async () => {
      const base = jw.rss();
      const rss = sampler(() => jw.rss(), 100);
      const c = await RawClient.connect(jw.port);
      c.send(req('POST /upload HTTP/1.1', 'Host: example.test', `Content-Length: ${GiB}`));
      for (let sent = 0; sent < GiB; sent += CHUNK.length) {
        if (!c.socket.write(CHUNK)) await new Promise((r) => c.socket.once('drain', r));
      }
      const res = await c.response({ timeoutMs: 60_000 });
      c.destroy();
      rss.stop();
      assert.equal(res.status, 200);
      const echo = JSON.parse(res.body.toString()) as { bodyLength: number; bodySha256: string };
      assert.equal(echo.bodyLength, GiB);
      assert.equal(echo.bodySha256, patternSha(GiB));
      const growth = rss.max - base;
      assert.ok(growth < 300 * MiB, `daemon RSS grew ${Math.round(growth / MiB)} MiB`);
    },
  );

  it(
    'streams a 1 GiB download to the client with bounded daemon memory',
    {
      timeout: 120_000,
    },
    async () => {
      const base = jw.rss();
      const rss = sampler(() => jw.rss(), 100);
      const d = await download(jw.port, `/download/${GiB}`);
      await d.done;
      rss.stop();
      assert.equal(d.status, 200);
      assert.equal(d.length, GiB);
      assert.equal(d.sha256, patternSha(GiB));
      const growth = rss.max - base;
      assert.ok(growth < 300 * MiB, `daemon RSS grew ${Math.round(growth / MiB)} MiB`);
    },
  );

  it('slows the upstream down when the client stops reading', { timeout: 60_000 }, async () => {
    const total = 256 * MiB;
    u.clear();
    const base = jw.rss();
    const d = await download(jw.port, `/download/slow/${total}`);
    await until('the first MiB to arrive', () => d.length >= MiB, 10_000);
    d.socket.pause();
    const readAtPause = d.length;
    await delay(1000);
    const conn = u.connections.find((k) => k.requests.some((r) => r.target.includes('slow')))!;
    const writtenAfter1s = conn.bytesWritten();
    await delay(2000);
    const writtenAfter3s = conn.bytesWritten();
    const rssPaused = jw.rss();

    assert.ok(
      writtenAfter3s - writtenAfter1s < 4 * MiB,
      `the upstream kept sending: ${writtenAfter3s - writtenAfter1s} bytes in 2 s`,
    );
    assert.ok(
      writtenAfter3s - readAtPause < 64 * MiB,
      `${Math.round((writtenAfter3s - readAtPause) / MiB)} MiB buffered between the two ends`,
    );
    assert.ok(rssPaused - base < 100 * MiB, `RSS grew ${Math.round((rssPaused - base) / MiB)} MiB`);

    d.socket.resume();
    await d.done;
    assert.equal(d.length, total);
  });
});
