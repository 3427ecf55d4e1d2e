// End to end: Jetway in front of servers nobody here wrote (nginx serving files, Python's
// http.server), driven by real clients (curl, then a short wrk burst). Bodies are checked
// byte for byte with SHA-256 against the files on disk.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { NO_PASSIVE, cluster, route } from '../helpers/config.js';
import { startDaemon, type Daemon } from '../helpers/daemon.js';
import { startNginx, startPythonHttp, type RealServer } from '../helpers/real-servers.js';
import { stopAll } from '../helpers/wait.js';

const run = promisify(execFile);

const FILES: Record<string, Buffer> = {
  'index.html': Buffer.from('<!doctype html><title>jetway e2e</title><p>hello</p>\n'),
  'small.txt': Buffer.from('small file\n'),
  'data.bin': randomBytes(4 * 1024 * 1024 + 17),
  'nested/dir/file.json': Buffer.from(JSON.stringify({ ok: true, n: [1, 2, 3] })),
  'with space.txt': Buffer.from('a name with a space\n'),
};

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Writes the document root, readable by nginx's unprivileged workers. */
function makeRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'jetway-e2e-root-'));
  for (const [name, bytes] of Object.entries(FILES)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), bytes);
  }
  for (const dir of [root, join(root, 'nested'), join(root, 'nested', 'dir')]) {
    chmodSync(dir, 0o755);
  }
  return root;
}

interface CurlResult {
  status: number;
  body: Buffer;
  headers: string;
}

/** curl through Jetway with `Host: host`; body and headers captured to files. */
async function curl(
  jw: Daemon,
  host: string,
  path: string,
  args: string[] = [],
): Promise<CurlResult> {
  const dir = mkdtempSync(join(tmpdir(), 'jetway-curl-'));
  try {
    const { stdout } = await run(
      'curl',
      [
        '-sS',
        '--max-time',
        '30',
        '-H',
        `Host: ${host}`,
        '-o',
        join(dir, 'body'),
        '-D',
        join(dir, 'headers'),
        '-w',
        '%{http_code}',
        ...args,
        `${jw.origin}${path}`,
      ],
      { timeout: 40_000 },
    );
    let body = Buffer.alloc(0);
    try {
      body = readFileSync(join(dir, 'body'));
    } catch {
      // No body written (HEAD).
    }
    return { status: Number(stdout), body, headers: readFileSync(join(dir, 'headers'), 'latin1') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('end to end with nginx and python http.server', { timeout: 120_000 }, () => {
  let root: string;
  let nginx: RealServer;
  let python: RealServer;
  let jw: Daemon;

  before(async () => {
    root = makeRoot();
    nginx = await startNginx(root);
    python = await startPythonHttp(root);
    jw = await startDaemon({
      workers: 2,
      clusters: [
        cluster('files', [nginx.address], { health: NO_PASSIVE }),
        cluster('py', [python.address], { health: NO_PASSIVE }),
      ],
      routes: [route('files', { host: 'nginx.test' }), route('py', { host: 'python.test' })],
    });
  });

  after(async () => {
    await stopAll(jw, nginx, python);
    rmSync(root, { recursive: true, force: true });
  });

  for (const host of ['nginx.test', 'python.test']) {
    it(`serves every file from ${host} byte for byte`, { timeout: 30_000 }, async () => {
      for (const [name, bytes] of Object.entries(FILES)) {
        const r = await curl(jw, host, `/${name.replace(' ', '%20')}`);
        assert.equal(r.status, 200, name);
        assert.equal(r.body.length, bytes.length, name);
        assert.equal(sha(r.body), sha(bytes), name);
      }
    });
  }

  it('reuses one curl connection for several files', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jetway-curl-'));
    try {
      const names = ['small.txt', 'index.html', 'data.bin'];
      const args = names.flatMap((n) => [
        '-o',
        join(dir, n.replace('/', '_')),
        `${jw.origin}/${n}`,
      ]);
      const { stderr } = await run('curl', ['-sS', '-v', '-H', 'Host: nginx.test', ...args], {
        timeout: 40_000,
      });
      for (const n of names) assert.equal(sha(readFileSync(join(dir, n))), sha(FILES[n]!), n);
      assert.match(stderr, /Re-using existing connection|Reusing existing/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers HEAD from nginx with the length and no body', { timeout: 10_000 }, async () => {
    const r = await curl(jw, 'nginx.test', '/data.bin', ['-I']);
    assert.equal(r.status, 200);
    assert.match(r.headers, new RegExp(`content-length: ${FILES['data.bin']!.length}\\r\\n`, 'i'));
  });

  it('passes a range request and its 206 through', { timeout: 10_000 }, async () => {
    const r = await curl(jw, 'nginx.test', '/data.bin', ['-r', '1000-1999']);
    assert.equal(r.status, 206);
    assert.equal(sha(r.body), sha(FILES['data.bin']!.subarray(1000, 2000)));
  });

  it(
    'passes nginx’s 304 for a matching ETag through with no body',
    { timeout: 10_000 },
    async () => {
      const first = await curl(jw, 'nginx.test', '/index.html');
      const etag = /^etag: (.+)\r$/im.exec(first.headers)?.[1];
      assert.ok(etag, first.headers);
      const r = await curl(jw, 'nginx.test', '/index.html', ['-H', `If-None-Match: ${etag}`]);
      assert.equal(r.status, 304);
      assert.equal(r.body.length, 0);
    },
  );

  it('passes the upstream’s own 404 through', { timeout: 10_000 }, async () => {
    const r = await curl(jw, 'nginx.test', '/missing.txt');
    assert.equal(r.status, 404);
    assert.match(r.body.toString(), /nginx/);
  });

  it('serves python’s directory listing', { timeout: 10_000 }, async () => {
    const r = await curl(jw, 'python.test', '/nested/');
    assert.equal(r.status, 200);
    assert.match(r.body.toString(), /href="dir\/"/);
  });

  it(
    'holds a short wrk burst with no errors and no non-2xx answers',
    { timeout: 30_000 },
    async (t) => {
      const { stdout } = await run(
        'wrk',
        [
          '-t1',
          '-c8',
          '-d3s',
          '--timeout',
          '5s',
          '-H',
          'Host: nginx.test',
          `${jw.origin}/small.txt`,
        ],
        { timeout: 20_000 },
      );
      const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0);
      t.diagnostic(`wrk: ${requests} requests in 3 s; ${/Requests\/sec:\s+\S+/.exec(stdout)?.[0]}`);
      assert.ok(requests > 100, `only ${requests} requests: ${stdout}`);
      assert.doesNotMatch(stdout, /Non-2xx or 3xx responses/);
      assert.doesNotMatch(stdout, /Socket errors/);
    },
  );
});
