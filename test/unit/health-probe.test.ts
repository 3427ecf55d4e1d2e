// The real probe over undici against real node:http servers on loopback.
import assert from 'node:assert/strict';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, it } from 'node:test';
import { HttpProbe } from '../../ts/health/probe.js';

const probe = new HttpProbe();
const servers: Server[] = [];
after(async () => {
  await probe.close();
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
});

async function upstream(handler: RequestListener): Promise<{ address: string; server: Server }> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const never = new AbortController().signal;

it('reports the status a real upstream answers, for the path probed with GET', async () => {
  const seen: string[] = [];
  const { address } = await upstream((request, response) => {
    seen.push(`${request.method} ${request.url}`);
    response.statusCode = request.url === '/health' ? 200 : 503;
    response.end('ok');
  });
  assert.deepEqual(await probe.run({ address, path: '/health', timeoutMs: 1000 }, never), {
    status: 200,
  });
  assert.deepEqual(await probe.run({ address, path: '/other', timeoutMs: 1000 }, never), {
    status: 503,
  });
  assert.deepEqual(seen, ['GET /health', 'GET /other']);
});

it('reads the whole body and opens a new connection for each probe', async () => {
  let connections = 0;
  const { address, server } = await upstream((_, response) => response.end('x'.repeat(1 << 20)));
  server.on('connection', () => connections++);
  for (let n = 0; n < 3; n++) {
    assert.deepEqual(await probe.run({ address, path: '/', timeoutMs: 1000 }, never), {
      status: 200,
    });
  }
  assert.equal(connections, 3);
});

it('reports a refused connection as "connect ECONNREFUSED"', async () => {
  const { address, server } = await upstream(() => {});
  await new Promise((done) => server.close(done));
  assert.deepEqual(await probe.run({ address, path: '/', timeoutMs: 1000 }, never), {
    error: 'connect ECONNREFUSED',
  });
});

it('reports "timeout" when no response comes within timeoutMs', async () => {
  const { address } = await upstream(() => {});
  const started = performance.now();
  assert.deepEqual(await probe.run({ address, path: '/', timeoutMs: 150 }, never), {
    error: 'timeout',
  });
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 140 && elapsed < 1000, `${elapsed} ms`);
});

it('reports "timeout" when the body stalls after the headers', async () => {
  const { address } = await upstream((_, response) => {
    response.writeHead(200, { 'content-length': '10' });
    response.write('12345');
  });
  assert.deepEqual(await probe.run({ address, path: '/', timeoutMs: 150 }, never), {
    error: 'timeout',
  });
});

it('reports "connection closed" when the upstream hangs up without an answer', async () => {
  const { address } = await upstream((request) => request.socket.destroy());
  assert.deepEqual(await probe.run({ address, path: '/', timeoutMs: 1000 }, never), {
    error: 'connection closed',
  });
});

it('stops and reports "aborted" when the caller aborts', async () => {
  const { address } = await upstream(() => {});
  const abort = new AbortController();
  setTimeout(() => abort.abort(), 20);
  assert.deepEqual(await probe.run({ address, path: '/', timeoutMs: 5000 }, abort.signal), {
    error: 'aborted',
  });
});
