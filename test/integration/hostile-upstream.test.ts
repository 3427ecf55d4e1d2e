// Jetway's own upstream client through the real daemon, against an upstream that writes exactly
// the bytes a test chooses, when it chooses: responses cut at awkward places, heads past the
// limit, answers that come before the request body is all sent. What must hold: the client
// gets the upstream's response intact or a clean 502, and the worker logs no uncaught error.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { NO_PASSIVE, cluster, route, timeouts } from '../helpers/config.js';
import { startDaemon, type Daemon } from '../helpers/daemon.js';
import { RawClient, req } from '../helpers/raw-client.js';
import { delay, stopAll } from '../helpers/wait.js';

/** Called with each request head (without its blank line) as soon as it has arrived. */
type OnHead = (socket: net.Socket, head: string) => void | Promise<void>;

/**
 * An upstream that answers on the request head, before any body: the body bytes are read and
 * dropped. Requests on one connection are answered one after another.
 */
class RawUpstream {
  onHead: OnHead = (s) => void s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  connections = 0;
  private readonly sockets = new Set<net.Socket>();

  private constructor(private readonly server: net.Server) {}

  static async start(): Promise<RawUpstream> {
    const server = net.createServer();
    const upstream = new RawUpstream(server);
    server.on('connection', (s) => upstream.accept(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return upstream;
  }

  get address(): string {
    return `127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.connections++;
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
    let text = '';
    let turn = Promise.resolve();
    socket.on('data', (d: Buffer) => {
      // Only heads matter here; body bytes (no CRLFCRLF in them) are dropped as they come.
      text += d.toString('latin1');
      for (let end = text.indexOf('\r\n\r\n'); end >= 0; end = text.indexOf('\r\n\r\n')) {
        const head = text.slice(0, end);
        text = text.slice(end + 4);
        turn = turn.then(() => this.onHead(socket, head));
      }
      if (!text.includes('\r\n')) text = text.slice(-3);
    });
  }
}

describe('hostile upstream (Jetway client)', { timeout: 90_000 }, () => {
  let u: RawUpstream;
  let jw: Daemon;

  before(async () => {
    u = await RawUpstream.start();
    jw = await startDaemon({
      clusters: [
        cluster('api', [u.address], {
          retries: 0,
          health: NO_PASSIVE,
          timeouts: timeouts({ header: '1s', idle: '1s' }),
          pool: { client: 'jetway' },
        }),
      ],
      routes: [route('api', { prefix: '/' })],
    });
  });

  beforeEach(() => {
    u.onHead = (s) => void s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  });

  after(() => stopAll(jw, u));

  /** No worker of the daemon has logged an uncaught error so far. */
  function assertNoUncaught(): void {
    const uncaught = jw.logs.filter((l) => l.msg === 'uncaught error in worker');
    assert.deepEqual(uncaught, [], JSON.stringify(uncaught));
    assert.equal(jw.stderr, '');
  }

  it(
    'passes a chunked response head on intact whatever read the body starts in',
    { timeout: 20_000 },
    async () => {
      const head = 'HTTP/1.1 200 Fine\r\nTransfer-Encoding: chunked\r\nX-Mark: m\r\n\r\n';
      const body = '5;x=y\r\nhello\r\n0\r\nT: 1\r\n\r\n';
      let split = 0;
      u.onHead = async (s) => {
        // The head and the first `split` body bytes in one write, the rest in a later one.
        s.write(head + body.slice(0, split));
        await delay(20);
        s.write(body.slice(split));
      };
      const c = await RawClient.connect(jw.port);
      for (split = 0; split <= body.length; split++) {
        c.send(req(`GET /split/${split} HTTP/1.1`, 'Host: example.test'));
        const r = await c.response({ timeoutMs: 2000 });
        assert.equal(r.statusLine, 'HTTP/1.1 200 Fine', `split at ${split}`);
        assert.deepEqual(
          r.headers.filter(([n]) => n === 'X-Mark'),
          [['X-Mark', 'm']],
        );
        assert.equal(r.body.toString(), 'hello', `split at ${split}`);
      }
      c.destroy();
      assertNoUncaught();
    },
  );

  it('answers 502 to a response head over 64 KiB that arrives in several reads', async () => {
    u.onHead = async (s) => {
      s.write(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(50_000)}`);
      await delay(30);
      s.write(`${'a'.repeat(50_000)}\r\nContent-Length: 2\r\n\r\nok`);
    };
    const c = await RawClient.connect(jw.port);
    c.send(req('GET /big-head HTTP/1.1', 'Host: example.test'));
    assert.equal((await c.response({ timeoutMs: 3000 })).status, 502);
    c.destroy();
  });

  it('answers 502 to a 70,000-byte response head sent in one write', async () => {
    u.onHead = (s) => {
      s.write(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70_000)}\r\nContent-Length: 2\r\n\r\nok`);
    };
    const c = await RawClient.connect(jw.port);
    c.send(req('GET /big-head HTTP/1.1', 'Host: example.test'));
    assert.equal((await c.response({ timeoutMs: 3000 })).status, 502);
    c.destroy();
  });

  for (const [what, answer] of [
    ['413 with Connection: close', 'HTTP/1.1 413 Too Big\r\nConnection: close\r\n'],
    ['200 on a kept-alive connection', 'HTTP/1.1 200 OK\r\n'],
  ] as const) {
    it(
      `passes on an early ${what} while the client still sends its body, with no uncaught error`,
      { timeout: 20_000 },
      async () => {
        u.onHead = (s) => {
          s.write(`${answer}Content-Length: 5\r\n\r\nearly`);
          if (answer.includes('close')) s.end();
        };
        const total = 2 << 20;
        const c = await RawClient.connect(jw.port);
        c.send(req('POST /upload HTTP/1.1', 'Host: example.test', `Content-Length: ${total}`));
        // 2 MiB in 64 KiB pieces, well past the body's high-water mark in Jetway.
        const sending = (async () => {
          const piece = Buffer.alloc(64 * 1024, 'b');
          for (let sent = 0; sent < total && !c.closed; sent += piece.length) {
            c.socket.write(piece);
            await delay(2);
          }
        })();
        const r = await c.response({ timeoutMs: 5000 });
        assert.equal(r.status, Number(answer.slice(9, 12)));
        assert.equal(r.body.toString(), 'early');
        await sending;
        await delay(100);
        c.destroy();
        assertNoUncaught();
      },
    );
  }

  it('answers 504 when the upstream stops reading the request body', async () => {
    u.onHead = (s) => void s.pause(); // reads no body and never answers
    const total = 8 << 20;
    const c = await RawClient.connect(jw.port);
    c.send(req('POST /stuck HTTP/1.1', 'Host: example.test', `Content-Length: ${total}`));
    c.socket.write(Buffer.alloc(total, 'p'));
    const r = await c.response({ timeoutMs: 5000 });
    c.destroy();
    assert.equal(r.status, 504);
    await jw.waitForLog((l) => l.path === '/stuck' && l.status === 504, 2000);
    assert.equal(
      jw.accessLogs.find((l) => l.path === '/stuck')?.error,
      'JETWAY_UPSTREAM_IDLE_TIMEOUT',
    );
  });

  it('answers 504 to a head followed by no body within the idle time', async () => {
    u.onHead = (s) => void s.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n');
    const c = await RawClient.connect(jw.port);
    c.send(req('GET /silent HTTP/1.1', 'Host: example.test'));
    const r = await c.response({ timeoutMs: 5000 });
    c.destroy();
    assert.equal(r.status, 504);
  });
});
