// The bench's Node.js proxy contenders, started the way the harness starts them, in front of
// two real upstreams on loopback: each must answer through the library, spread requests over
// both upstreams, and pass paths and bodies through unchanged.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import {
  fastGateway,
  fastifyHttpProxy,
  httpProxy,
} from '../../bench/contenders/node-proxies/index.js';
import type { Contender, ContenderInput } from '../../bench/contenders/types.js';
import { descendants, readAllStats } from '../../bench/proc.js';
import { freePort } from '../helpers/ports.js';

interface Seen {
  upstream: string;
  method: string;
  url: string;
  bodyBytes: number;
}

/** An upstream that answers with its name and records what it received. */
async function startNamedUpstream(name: string, seen: Seen[]): Promise<Server> {
  const server = createServer((req, res) => {
    let bodyBytes = 0;
    req.on('data', (chunk: Buffer) => (bodyBytes += chunk.length));
    req.on('end', () => {
      seen.push({ upstream: name, method: req.method ?? '', url: req.url ?? '', bodyBytes });
      res.end(name);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** Four GETs and a 5000-byte POST through `origin`; which upstream answered each GET. */
async function sendThrough(origin: string): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < 4; i++) {
    const res = await request(`${origin}/some/path?q=${i}`);
    assert.equal(res.statusCode, 200);
    names.push(await res.body.text());
  }

  const body = 'x'.repeat(5000);
  const post = await request(`${origin}/upload`, { method: 'POST', body });
  assert.equal(post.statusCode, 200);
  await post.body.dump();
  return names;
}

const addressOf = (s: Server): string => `127.0.0.1:${(s.address() as { port: number }).port}`;

describe('bench Node.js proxy contenders', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-node-proxies-test-'));
  const seen: Seen[] = [];
  let upstreams: Server[] = [];

  before(async () => {
    upstreams = [await startNamedUpstream('a', seen), await startNamedUpstream('b', seen)];
  });
  after(async () => {
    for (const u of upstreams) u.closeAllConnections();
    await Promise.all(upstreams.map((u) => new Promise((r) => u.close(r))));
    rmSync(dir, { recursive: true, force: true });
  });

  async function input(name: string, workers: number): Promise<ContenderInput> {
    const own = join(dir, `${name}-${workers}`);
    mkdirSync(own);
    const ports = upstreams.map(addressOf);
    const base = { dir: own, port: await freePort(), upstreams: ports, workers };
    return { ...base, connections: 4, route: {}, probePath: '/probe' };
  }

  for (const contender of [httpProxy, fastGateway, fastifyHttpProxy] as Contender[]) {
    const skip = contender.unavailable() ?? false;

    it(
      `${contender.name} takes turns over the upstreams, path and body unchanged`,
      { skip },
      async () => {
        const running = await contender.start(await input(contender.name, 1));
        try {
          seen.length = 0;
          const names = await sendThrough(running.origin);

          const turns = names[0] === 'a' ? ['a', 'b', 'a', 'b'] : ['b', 'a', 'b', 'a'];
          assert.deepEqual(names, turns);
          assert.equal(seen[0].url, '/some/path?q=0');
          const post = seen.at(-1);
          assert.deepEqual([post?.method, post?.url, post?.bodyBytes], ['POST', '/upload', 5000]);
        } finally {
          await running.stop();
        }
      },
    );
  }

  it(
    'runs as many worker processes as asked, under one root',
    { skip: httpProxy.unavailable() ?? false },
    async () => {
      const running = await httpProxy.start(await input('http-proxy', 2));
      try {
        const res = await request(`${running.origin}/probe`);
        assert.equal(res.statusCode, 200);
        await res.body.dump();
        const tree = descendants(running.pids[0], [...readAllStats().values()]);
        assert.equal(tree.length, 3, `the cluster primary and two workers: ${tree.join(', ')}`);
      } finally {
        await running.stop();
      }
    },
  );
});
