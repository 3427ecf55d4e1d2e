// Jetway's upstream client on its own, against scripted upstreams on loopback: reuse, framing
// read byte by byte, pauses, limits, timeouts, aborts and every way an upstream can misbehave.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  UpstreamPool,
  type DispatchHandler,
  type DispatchOptions,
  type PoolOptions,
} from '../../ts/data/pool.js';
import { startBlackhole, type Blackhole } from '../helpers/blackhole.js';
import { freePort } from '../helpers/ports.js';
import {
  responseHead,
  startUpstream,
  type Reply,
  type ScriptedUpstream,
} from '../helpers/upstream.js';
import { delay, until } from '../helpers/wait.js';

interface Outcome {
  status?: number;
  raw: string[];
  body: Buffer;
  error?: { code: string; message: string };
  /** Callback names in order. */
  calls: string[];
}

interface RunOptions {
  /** Return false from onData at the first chunk and resume after this many ms. */
  pauseMs?: number;
  onAbort?: (abort: (err?: Error) => void) => void;
}

const OPTIONS: PoolOptions = {
  connections: 4,
  connectTimeout: 1000,
  headerTimeout: 1000,
  idleTimeout: 1000,
  keepAliveTimeout: 4000,
};

/** Dispatches one request and resolves with everything the handler heard. */
function run(
  pool: UpstreamPool,
  opts: Partial<DispatchOptions> = {},
  o: RunOptions = {},
): Promise<Outcome> {
  return new Promise((resolve) => {
    const out: Outcome = { raw: [], body: Buffer.alloc(0), calls: [] };
    const chunks: Buffer[] = [];
    let resume: () => void = () => {};
    let paused = false;
    const handler: DispatchHandler = {
      onConnect: (request) => {
        out.calls.push('connect');
        o.onAbort?.((err) => request.abort(err));
      },
      onHeaders: (status, raw, r) => {
        out.calls.push('headers');
        out.status = status;
        out.raw = raw.map((b) => b.toString('latin1'));
        resume = r;
        return true;
      },
      onData: (chunk) => {
        out.calls.push('data');
        chunks.push(Buffer.from(chunk));
        if (o.pauseMs === undefined || paused) return true;
        paused = true;
        setTimeout(() => {
          out.calls.push('resume');
          resume();
        }, o.pauseMs);
        return false;
      },
      onComplete: () => {
        out.calls.push('complete');
        out.body = Buffer.concat(chunks);
        resolve(out);
      },
      onError: (err) => {
        out.calls.push('error');
        out.error = { code: (err as unknown as { code: string }).code, message: err.message };
        out.body = Buffer.concat(chunks);
        resolve(out);
      },
    };
    const request = { method: 'GET', path: '/', headers: ['host', 'x'], body: null, ...opts };
    pool.dispatch(request, handler);
  });
}

async function* bodyOf(...parts: Array<string | Buffer>): AsyncGenerator<Buffer> {
  for (const p of parts) {
    await delay(1);
    yield Buffer.from(p);
  }
}

describe('upstream pool (Jetway client)', { timeout: 60_000 }, () => {
  let u: ScriptedUpstream;
  let hole: Blackhole;
  const pools: UpstreamPool[] = [];
  const pool = (opts: Partial<PoolOptions> = {}, address = u.address): UpstreamPool => {
    const p = new UpstreamPool(address, { ...OPTIONS, ...opts });
    pools.push(p);
    return p;
  };

  /**
   * Makes the upstream hold its answer to the first request until the returned function is
   * called, then give it with `first`; it echoes every other request at once.
   */
  const holdFirst = (first = (reply: Reply): void => reply.echo()): (() => void) => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    u.handler = async (r, reply) => {
      if (r.index > 0) return reply.echo();
      await held;
      first(reply);
    };
    return release;
  };

  /** Dispatches on `p`, abandons the request once the upstream has it, and gives its outcome. */
  const abandonOnArrival = async (
    p: UpstreamPool,
    opts: Partial<DispatchOptions> = {},
  ): Promise<Outcome> => {
    let abort: (err?: Error) => void = () => {};
    const outcome = run(p, opts, { onAbort: (a) => (abort = a) });
    await until('the request to arrive', () => u.connections[0]?.requests.length === 1);
    abort();
    return outcome;
  };

  before(async () => {
    u = await startUpstream({ name: 'u' });
    hole = await startBlackhole();
  });
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.destroy()));
    u.handler = (_r, reply) => reply.echo();
    u.connections.length = 0;
  });
  after(async () => {
    await u.stop();
    await hole.stop();
  });

  it('reuses one connection for requests in turn', async () => {
    const p = pool();
    for (let i = 0; i < 5; i++) {
      const r = await run(p, { path: `/n/${i}` });
      assert.equal(r.status, 200);
      assert.equal(JSON.parse(r.body.toString()).target, `/n/${i}`);
      assert.deepEqual(r.calls, ['connect', 'headers', 'data', 'complete']);
    }
    assert.equal(u.connections.length, 1);
  });

  it('writes the request as given, adding Host and an empty POST body length', async () => {
    const p = pool();
    await run(p, { method: 'POST', path: '/a?b=c', headers: ['x-one', '1', 'x-two', 'a b'] });
    const head = u.connections[0].requests[0].rawHead.toString('latin1');
    assert.equal(
      head,
      'POST /a?b=c HTTP/1.1\r\nx-one: 1\r\nx-two: a b\r\n' +
        `host: ${u.address}\r\ncontent-length: 0\r\n\r\n`,
    );
  });

  it('reads a head and a chunked body that arrive one byte at a time', async () => {
    const body = '5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nTrailer-A: x\r\n\r\n';
    const bytes = Buffer.concat([
      responseHead(200, [['transfer-encoding', 'chunked']]),
      Buffer.from(body),
    ]);
    u.handler = async (_r, reply) => {
      for (const b of bytes) {
        reply.raw(Buffer.from([b]));
        await delay(0);
      }
    };
    const p = pool();
    const r = await run(p);
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'hello, world');
    // The trailers were consumed: the connection carries the next request.
    u.handler = (_r, reply) => reply.echo();
    assert.equal((await run(p)).status, 200);
    assert.equal(u.connections.length, 1);
  });

  it('reads a long head that arrives one line at a time', async () => {
    const fields: Array<[string, string]> = [];
    for (let i = 0; i < 60; i++) fields.push([`x-field-${i}`, `value ${i}`]);
    const lines = responseHead(200, [...fields, ['content-length', '2']])
      .toString('latin1')
      .split(/(?<=\r\n)/);
    u.handler = async (_r, reply) => {
      for (const line of lines) {
        reply.raw(line);
        await delay(1);
      }
      reply.raw('ok');
    };
    const r = await run(pool());
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'ok');
    assert.equal(r.raw.indexOf('x-field-59'), r.raw.indexOf('value 59') - 1);
  });

  // A head in pieces is parsed again only when it may have ended or has doubled: a fault in an
  // earlier piece must still be found then, well before the header timeout (another error).
  for (const [when, pieces] of [
    // No blank line yet, but the head has more than doubled since it was last parsed.
    [
      'once more follows',
      ['HTTP/1.1 200 OK\r\n', 'Bad Name: x\r\n', `x-pad: ${'a'.repeat(40)}\r\n`],
    ],
    ['once its blank line comes', ['HTTP/1.1 200 OK\r\nx-a: 1\r\n', 'Bad Name: x\r\n', '\r\n']],
  ] as const) {
    it(`refuses a head whose fault arrived in an earlier piece, ${when}`, async () => {
      u.handler = async (_r, reply) => {
        for (const piece of pieces) {
          reply.raw(piece);
          await delay(20);
        }
        return reply.stall();
      };
      const r = await run(pool({ headerTimeout: 5000 }));
      assert.equal(r.error?.code, 'JETWAY_UPSTREAM_INVALID_RESPONSE', JSON.stringify(r));
    });
  }

  it('reads to the close when no length is given, and opens a new connection after', async () => {
    u.handler = (_r, reply) => {
      reply.raw(Buffer.concat([responseHead(200, [['connection', 'close']]), Buffer.from('all')]));
      reply.close();
    };
    const p = pool();
    const r = await run(p);
    assert.equal(r.body.toString(), 'all');
    u.handler = (_r, reply) => reply.echo();
    assert.equal((await run(p)).status, 200);
    assert.equal(u.connections.length, 2);
  });

  it('reads no body after HEAD, 204 and 304, and keeps the connection', async () => {
    u.handler = (r, reply) => {
      const status = r.target === '/204' ? 204 : r.target === '/304' ? 304 : 200;
      reply.raw(responseHead(status, [['content-length', '5']]));
    };
    const p = pool();
    assert.deepEqual((await run(p, { method: 'HEAD' })).calls, ['connect', 'headers', 'complete']);
    assert.equal((await run(p, { path: '/204' })).status, 204);
    assert.equal((await run(p, { path: '/304' })).status, 304);
    assert.equal(u.connections.length, 1);
  });

  it('skips interim 1xx heads', async () => {
    u.handler = (_r, reply) => {
      reply.raw(responseHead(100, []));
      reply.raw(responseHead(103, [['link', '</a.css>']]));
      reply.send(200, 'ok');
    };
    const r = await run(pool());
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'ok');
    assert.deepEqual(r.calls, ['connect', 'headers', 'data', 'complete']);
  });

  for (const [what, bytes] of [
    ['an unrequested 101', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n'],
    ['both framings', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n'],
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['a chunk without its CRLF', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab'],
    ['a garbage status line', 'SSH-2.0-OpenSSH\r\n\r\n'],
  ] as const) {
    it(`fails ${what} as an invalid response and drops the connection`, async () => {
      u.handler = (_r, reply) => reply.raw(bytes);
      const r = await run(pool());
      assert.equal(r.error?.code, 'JETWAY_UPSTREAM_INVALID_RESPONSE', JSON.stringify(r));
      await until('the connection to close', () => u.connections[0].closedAt !== undefined, 2000);
    });
  }

  it('fails a head larger than 64 KiB', async () => {
    u.handler = (_r, reply) => reply.raw(`HTTP/1.1 200 OK\r\nA: ${'x'.repeat(70_000)}`);
    assert.equal((await run(pool())).error?.code, 'JETWAY_UPSTREAM_INVALID_RESPONSE');
  });

  it('never reuses a connection that sent more than the response', async () => {
    u.handler = (_r, reply) => reply.raw('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA');
    const p = pool();
    assert.equal((await run(p)).body.toString(), 'ok');
    u.handler = (_r, reply) => reply.echo();
    assert.equal((await run(p)).status, 200);
    assert.equal(u.connections.length, 2);
  });

  it('holds the body while paused and completes only after resume', async () => {
    const big = Buffer.alloc(200_000, 'z');
    u.handler = (_r, reply) => reply.send(200, big);
    const r = await run(pool(), {}, { pauseMs: 200 });
    assert.equal(r.body.length, big.length);
    const resumed = r.calls.indexOf('resume');
    assert.ok(resumed > 0, r.calls.join(','));
    assert.deepEqual(r.calls.slice(0, resumed), ['connect', 'headers', 'data']);
    assert.equal(r.calls.at(-1), 'complete');
  });

  it('opens at most `connections` sockets and queues the rest', async () => {
    u.handler = async (_r, reply) => {
      await delay(50);
      reply.echo();
    };
    const p = pool({ connections: 2 });
    const all = await Promise.all(Array.from({ length: 7 }, (_, i) => run(p, { path: `/${i}` })));
    assert.ok(all.every((r) => r.status === 200));
    assert.equal(u.connections.length, 2);
  });

  it('streams a body with Content-Length as it is, and one without it chunked', async () => {
    const p = pool();
    const parts = ['abc', 'defgh', 'i'];
    const sized = await run(p, {
      method: 'PUT',
      headers: ['content-length', '9'],
      body: bodyOf(...parts),
    });
    const chunked = await run(p, { method: 'POST', headers: [], body: bodyOf(...parts) });
    const sha = createHash('sha256').update(parts.join('')).digest('hex');
    for (const r of [sized, chunked]) {
      const seen = JSON.parse(r.body.toString());
      assert.equal(seen.bodyLength, 9);
      assert.equal(seen.bodySha256, sha);
    }
    const heads = u.connections[0].requests.map((r) => r.rawHead.toString('latin1'));
    assert.match(heads[0], /content-length: 9\r\n/);
    assert.doesNotMatch(heads[0], /transfer-encoding/);
    assert.match(heads[1], /transfer-encoding: chunked\r\n/);
  });

  it('fails a body that does not match its Content-Length', async () => {
    const p = pool();
    const long = await run(p, {
      method: 'PUT',
      headers: ['content-length', '2'],
      body: bodyOf('abc'),
    });
    assert.equal(long.error?.code, 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH');
    const short = await run(p, {
      method: 'PUT',
      headers: ['content-length', '5'],
      body: bodyOf('abc'),
    });
    assert.equal(short.error?.code, 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH');
  });

  it('refuses a header value it cannot send, writing nothing', async () => {
    const r = await run(pool(), { headers: ['x-a', 'caf\u00e9', 'x-b', 'a\ufffdb'] });
    assert.equal(r.error?.code, 'UND_ERR_INVALID_ARG');
    await delay(50);
    assert.equal(u.connections.length, 0);
  });

  it('fails every waiting request when the upstream refuses connections', async () => {
    const port = await freePort();
    const p = pool({}, `127.0.0.1:${port}`);
    const all = await Promise.all([run(p), run(p), run(p)]);
    for (const r of all) assert.equal(r.error?.code, 'ECONNREFUSED');
  });

  it('times out connecting', async () => {
    const p = pool({ connectTimeout: 300 }, hole.address);
    const started = performance.now();
    const r = await run(p);
    assert.equal(r.error?.code, 'UND_ERR_CONNECT_TIMEOUT');
    const ms = performance.now() - started;
    assert.ok(ms >= 290 && ms < 1500, `${ms} ms`);
  });

  it('times out waiting for the head, then for the next body bytes', async () => {
    u.handler = (_r, reply) => void reply.stall();
    const p = pool({ headerTimeout: 300, idleTimeout: 300 });
    const head = await run(p);
    assert.equal(head.error?.code, 'UND_ERR_HEADERS_TIMEOUT');
    u.handler = (_r, reply) => reply.raw('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
    const body = await run(p);
    assert.equal(body.error?.code, 'UND_ERR_BODY_TIMEOUT');
    assert.equal(body.body.toString(), 'abc');
  });

  it('does not count a paused read against the idle limit', async () => {
    u.handler = (_r, reply) => reply.send(200, Buffer.alloc(100_000, 'p'));
    const r = await run(pool({ idleTimeout: 200 }), {}, { pauseMs: 600 });
    assert.equal(r.error, undefined);
    assert.equal(r.body.length, 100_000);
  });

  it('closes idle connections after the keep-alive time, sooner if the upstream says', async () => {
    const p = pool({ keepAliveTimeout: 400 });
    await run(p);
    await until(
      'the pool to close its idle connection',
      () => u.connections[0].closedBy === 'peer',
      2000,
    );
    u.handler = (_r, reply) => reply.send(200, 'k', [['keep-alive', 'timeout=1']]);
    const q = pool({ keepAliveTimeout: 10_000 });
    const started = performance.now();
    await run(q);
    await until('the pool to close it sooner', () => u.connections[1].closedBy === 'peer', 3000);
    assert.ok(performance.now() - started < 2000);
  });

  it('closes an idle connection before the upstream says, whatever the limits', async () => {
    // Long limits make the sweep tick once a second; the hint must still be kept to.
    const long = { connectTimeout: 5000, headerTimeout: 30_000, idleTimeout: 30_000 };
    u.handler = (_r, reply) => reply.send(200, 'k', [['keep-alive', 'timeout=1']]);
    const p = pool({ ...long, keepAliveTimeout: 10_000 });
    await run(p);
    const answered = performance.now();
    await until('the pool to close it', () => u.connections[0].closedBy === 'peer', 3000);
    const idle = u.connections[0].closedAt! - answered;
    assert.ok(idle < 950, `closed after ${Math.round(idle)} ms, the upstream said 1 s`);
  });

  it('does not reuse a connection the upstream keeps idle for less than the margin', async () => {
    u.handler = (_r, reply) => reply.send(200, 'k', [['keep-alive', 'timeout=0']]);
    const p = pool();
    assert.equal((await run(p)).status, 200);
    await until('the pool to close it', () => u.connections[0].closedBy === 'peer', 2000);
    u.handler = (_r, reply) => reply.echo();
    assert.equal((await run(p)).status, 200);
    assert.equal(u.connections.length, 2);
  });

  it('fails a request at once when the address cannot be connected to at all', async () => {
    // The config refuses such a port; the pool must still answer rather than hang.
    const r = await run(pool({}, '127.0.0.1:99999'));
    assert.ok(r.error !== undefined, JSON.stringify(r));
    assert.deepEqual(r.calls, ['connect', 'error']);
  });

  it('opens a new connection when the upstream closed the idle one', async () => {
    const brief = await startUpstream({ name: 'brief', idleCloseMs: 50 });
    try {
      const p = pool({}, brief.address);
      assert.equal((await run(p)).status, 200);
      await until('the idle close', () => brief.connections[0].closedAt !== undefined, 2000);
      assert.equal((await run(p)).status, 200);
      assert.equal(brief.connections.length, 2);
    } finally {
      await brief.stop();
    }
  });

  it('abandons a request waiting for a connection, and one in flight unanswered', async () => {
    u.handler = (_r, reply) => void reply.stall();
    const p = pool({ connections: 1, headerTimeout: 300 });
    let abortFirst: (err?: Error) => void = () => {};
    let abortSecond: (err?: Error) => void = () => {};
    const first = run(p, {}, { onAbort: (a) => (abortFirst = a) });
    const second = run(p, {}, { onAbort: (a) => (abortSecond = a) });
    await until(
      'the first request to arrive',
      () => u.connections.length === 1 && u.connections[0].requests.length === 1,
      2000,
    );
    abortSecond();
    abortFirst();
    assert.equal((await first).error?.code, 'UND_ERR_ABORTED');
    assert.equal((await second).error?.code, 'UND_ERR_ABORTED');
    // No answer within the header timeout: the connection kept for it is cut.
    await until('the connection to close', () => u.connections[0].closedAt !== undefined, 2000);
    assert.equal(u.connections[0].requests.length, 1);
  });

  it('cuts the connection of an unanswered abandoned request, with no header limit', async () => {
    u.handler = (_r, reply) => void reply.stall();
    const p = pool({ connections: 1, headerTimeout: 0 });
    assert.equal((await abandonOnArrival(p)).error?.code, 'UND_ERR_ABORTED');
    // Within the drain wait (1 s) and a sweep tick, not never.
    await until('the connection to close', () => u.connections[0].closedAt !== undefined, 3000);
  });

  it('keeps the connection of an abandoned request whose short answer comes soon', async () => {
    const answer = holdFirst();
    const p = pool({ connections: 1 });
    const outcome = await abandonOnArrival(p, { path: '/k/0' });
    assert.equal(outcome.error?.code, 'UND_ERR_ABORTED');
    assert.deepEqual(outcome.calls, ['connect', 'error']);
    answer();
    const next = await run(p, { path: '/k/1' });
    assert.equal(JSON.parse(next.body.toString()).target, '/k/1');
    assert.equal(u.connections.length, 1);
    assert.equal(u.connections[0].requests.length, 2);
  });

  it('cuts the connection of an abandoned request when its answer turns out long', async () => {
    const answer = holdFirst((reply) => reply.send(200, Buffer.alloc(128 * 1024, 'x')));
    const p = pool({ connections: 1 });
    assert.equal((await abandonOnArrival(p)).error?.code, 'UND_ERR_ABORTED');
    answer();
    await until('the connection to close', () => u.connections[0].closedAt !== undefined, 2000);
    assert.equal((await run(p)).status, 200);
    assert.equal(u.connections.length, 2);
  });

  it('cuts the connection of an abandoned request whose body is still being sent', async () => {
    u.handler = (_r, reply) => void reply.stall();
    const p = pool({ connections: 1 });
    let abortFirst: (err?: Error) => void = () => {};
    let more: (chunk: Buffer | null) => void = () => {};
    async function* body(): AsyncGenerator<Buffer> {
      for (;;) {
        const chunk = await new Promise<Buffer | null>((resolve) => (more = resolve));
        if (chunk === null) return;
        yield chunk;
      }
    }
    const first = run(
      p,
      { method: 'POST', headers: ['content-length', '10'], body: body() },
      { onAbort: (a) => (abortFirst = a) },
    );
    await until('the upstream connection', () => u.connections.length === 1);
    more(Buffer.from('01234'));
    await delay(50);
    abortFirst();
    assert.equal((await first).error?.code, 'UND_ERR_ABORTED');
    await until('the connection to close', () => u.connections[0].closedAt !== undefined, 2000);
  });

  it('close() lets running requests finish; destroy() fails them', async () => {
    u.handler = async (_r, reply) => {
      await delay(100);
      reply.echo();
    };
    const p = pool();
    const running = run(p);
    await delay(20);
    await p.close();
    assert.equal((await running).status, 200);
    assert.equal((await run(p)).error?.code, 'UND_ERR_CLOSED');

    u.handler = (_r, reply) => void reply.stall();
    const q = pool();
    const stalled = run(q);
    await delay(50);
    await q.destroy();
    assert.equal((await stalled).error?.code, 'UND_ERR_DESTROYED');
  });

  describe('pipelining', () => {
    const piped = (depth = 8): UpstreamPool => pool({ pipelining: depth });
    const target = (r: Outcome): string => JSON.parse(r.body.toString()).target;

    it('sends the idempotent requests of a turn on one connection, answered in order', async () => {
      const p = piped();
      const all = await Promise.all([0, 1, 2, 3, 4].map((i) => run(p, { path: `/p/${i}` })));
      assert.deepEqual(all.map(target), ['/p/0', '/p/1', '/p/2', '/p/3', '/p/4']);
      assert.equal(u.connections.length, 1);
      const c = u.connections[0];
      assert.equal(c.requests.length, 5);
    });

    it('opens another connection once one holds as many as pipelining allows', async () => {
      const p = piped(2);
      const all = await Promise.all([0, 1, 2, 3, 4].map((i) => run(p, { path: `/d/${i}` })));
      assert.deepEqual(all.map(target), ['/d/0', '/d/1', '/d/2', '/d/3', '/d/4']);
      assert.ok(u.connections.every((c) => c.requests.length <= 2));
      assert.equal(u.connections.length, 3);
    });

    it('never pipelines a request with a body or a method that is not idempotent', async () => {
      const p = piped();
      const all = await Promise.all([
        run(p, { path: '/g' }),
        run(p, { method: 'POST', path: '/post', headers: ['content-length', '0'] }),
        run(p, { method: 'PUT', path: '/put', body: bodyOf('abc') }),
        run(p, { path: '/g2' }),
      ]);
      assert.deepEqual(all.map(target), ['/g', '/post', '/put', '/g2']);
      for (const c of u.connections) {
        const alone = c.requests.some((r) => r.method === 'POST' || r.method === 'PUT');
        if (alone) assert.equal(c.requests.length, 1, 'a POST or PUT shared its connection');
      }
    });

    it('fails the requests behind an answer that closes the connection as unanswered', async () => {
      u.handler = (r, reply) =>
        r.index === 0 ? reply.send(200, 'first', [['connection', 'close']]) : reply.echo();
      const p = piped();
      const all = await Promise.all([0, 1, 2].map((i) => run(p, { path: `/c/${i}` })));
      assert.equal(all[0].body.toString(), 'first');
      assert.equal(all[1].error?.code, 'JETWAY_UPSTREAM_UNANSWERED');
      assert.equal(all[2].error?.code, 'JETWAY_UPSTREAM_UNANSWERED');
    });

    it('fails the request being read and those behind it when the upstream resets', async () => {
      u.handler = (r, reply) => (r.index === 1 ? reply.reset() : reply.echo());
      const p = piped();
      const all = await Promise.all([0, 1, 2].map((i) => run(p, { path: `/r/${i}` })));
      assert.equal(target(all[0]), '/r/0');
      assert.ok(all[1].error !== undefined, 'the reset request did not fail');
      assert.notEqual(all[1].error?.code, 'JETWAY_UPSTREAM_UNANSWERED');
      assert.equal(all[2].error?.code, 'JETWAY_UPSTREAM_UNANSWERED');
    });

    it('drops the answer of an abandoned request and keeps the ones around it', async () => {
      const release = holdFirst();
      const p = piped();
      let abortSecond: (err?: Error) => void = () => {};
      const first = run(p, { path: '/a/0' });
      const second = run(p, { path: '/a/1' }, { onAbort: (a) => (abortSecond = a) });
      const third = run(p, { path: '/a/2' });
      await until('three requests at the upstream', () => u.connections[0]?.requests.length === 3);
      abortSecond();
      release();
      const [a, b, c] = await Promise.all([first, second, third]);
      assert.equal(target(a), '/a/0');
      assert.equal(b.error?.code, 'UND_ERR_ABORTED');
      assert.deepEqual(b.calls, ['connect', 'error']);
      assert.equal(target(c), '/a/2');
      assert.equal(u.connections.length, 1);
      // The connection stays in use after the dropped answer.
      assert.equal(target(await run(p, { path: '/a/3' })), '/a/3');
      assert.equal(u.connections.length, 1);
    });

    it('drops the answer of the abandoned request being read, keeping those behind', async () => {
      const release = holdFirst();
      const p = piped();
      let abortFirst: (err?: Error) => void = () => {};
      const first = run(p, { path: '/h/0' }, { onAbort: (a) => (abortFirst = a) });
      const rest = [1, 2].map((i) => run(p, { path: `/h/${i}` }));
      await until('three requests at the upstream', () => u.connections[0]?.requests.length === 3);
      abortFirst();
      release();
      assert.equal((await first).error?.code, 'UND_ERR_ABORTED');
      assert.deepEqual((await Promise.all(rest)).map(target), ['/h/1', '/h/2']);
      assert.equal(u.connections.length, 1);
      assert.equal(u.connections[0].requests.length, 3);
    });

    it('cuts rather than drains a long answer of the abandoned request being read', async () => {
      u.handler = (r, reply) => {
        if (r.index > 0) return reply.echo();
        reply.raw(responseHead(200, [['content-length', String(1 << 20)]]));
        reply.raw('0123456789');
        return reply.stall();
      };
      const p = piped();
      let abortFirst: (err?: Error) => void = () => {};
      const first = run(p, { path: '/l/0' }, { onAbort: (a) => (abortFirst = a) });
      const rest = [1, 2].map((i) => run(p, { path: `/l/${i}` }));
      await until('three requests at the upstream', () => u.connections[0]?.requests.length === 3);
      await delay(50);
      const cut = performance.now();
      abortFirst();
      assert.equal((await first).error?.code, 'UND_ERR_ABORTED');
      const behind = await Promise.all(rest);
      // At once, not after the idle timeout (1 s) of a body nobody will read.
      assert.ok(performance.now() - cut < 500);
      assert.deepEqual(
        behind.map((r) => r.error?.code),
        ['JETWAY_UPSTREAM_UNANSWERED', 'JETWAY_UPSTREAM_UNANSWERED'],
      );
    });

    it('times out the request being read and fails the ones behind it', async () => {
      u.handler = (r, reply) => (r.index === 0 ? reply.stall() : reply.echo());
      const p = pool({ pipelining: 4, headerTimeout: 200 });
      const all = await Promise.all([0, 1].map((i) => run(p, { path: `/t/${i}` })));
      assert.equal(all[0].error?.code, 'UND_ERR_HEADERS_TIMEOUT');
      assert.equal(all[1].error?.code, 'JETWAY_UPSTREAM_UNANSWERED');
    });
  });
});
