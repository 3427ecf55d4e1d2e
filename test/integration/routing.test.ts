// Routing through the real daemon: host (exact and wildcard), path (exact, prefix, template),
// methods and headers pick the route, and the route's cluster gets the request. Routes are
// listed so that first-match and most-specific-match orders agree: these tests are about the
// matching itself, not about precedence between overlapping routes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cluster, route } from '../helpers/config.js';
import { startDaemon, type Daemon } from '../helpers/daemon.js';
import { HttpClient, header } from '../helpers/http.js';
import { startUpstream, type ScriptedUpstream } from '../helpers/upstream.js';
import { stopAll } from '../helpers/wait.js';

const NAMES = ['exact', 'wild', 'p_exact', 'p_prefix', 'p_tmpl', 'methods', 'h2', 'h_any'];

describe('routing', { timeout: 60_000 }, () => {
  const ups = new Map<string, ScriptedUpstream>();
  let jw: Daemon;
  let http: HttpClient;

  before(async () => {
    for (const name of NAMES) ups.set(name, await startUpstream({ name }));
    const named = (name: string, match: Record<string, unknown>) => ({
      name: `r_${name}`,
      ...route(name, match),
    });
    jw = await startDaemon({
      clusters: NAMES.map((n) => cluster(n, [ups.get(n)!])),
      routes: [
        named('exact', { host: 'api.example.test', prefix: '/' }),
        named('wild', { host: '*.example.test', prefix: '/' }),
        named('p_exact', { host: 'paths.test', path: '/exact' }),
        named('p_prefix', { host: 'paths.test', prefix: '/api' }),
        named('p_tmpl', { host: 'paths.test', template: '/users/:id/orders/:order' }),
        named('methods', { host: 'methods.test', prefix: '/', methods: ['GET', 'POST'] }),
        named('h2', { host: 'headers.test', prefix: '/', headers: { 'x-version': '2' } }),
        named('h_any', { host: 'headers.test', prefix: '/' }),
      ],
    });
    http = new HttpClient(jw.origin);
  });

  after(() => stopAll(http, jw, ...ups.values()));

  /** Which upstream served `path` on `host`, or the status when none did. */
  async function served(host: string, path: string, init: Record<string, unknown> = {}) {
    const headers = { host, ...(init.headers as Record<string, string> | undefined) };
    const answer = await http.request(path, { ...init, headers });
    return answer.status === 200 ? header(answer, 'x-upstream') : answer.status;
  }

  it('routes an exact host to its cluster', { timeout: 5000 }, async () => {
    assert.equal(await served('api.example.test', '/x'), 'exact');
  });

  it('routes a subdomain to the wildcard host route', { timeout: 5000 }, async () => {
    assert.equal(await served('www.example.test', '/x'), 'wild');
    assert.equal(await served('other.example.test', '/'), 'wild');
  });

  it('does not match the bare domain against a wildcard host', { timeout: 5000 }, async () => {
    assert.equal(await served('example.test', '/x'), 404);
  });

  it('matches the host case-insensitively and without its port', { timeout: 5000 }, async () => {
    assert.equal(await served('API.Example.TEST', '/x'), 'exact');
    assert.equal(await served(`api.example.test:${jw.port}`, '/x'), 'exact');
  });

  it('matches an exact path and nothing longer', { timeout: 5000 }, async () => {
    assert.equal(await served('paths.test', '/exact'), 'p_exact');
    assert.equal(await served('paths.test', '/exact/more'), 404);
  });

  it('matches a prefix at segment boundaries only', { timeout: 5000 }, async () => {
    assert.equal(await served('paths.test', '/api'), 'p_prefix');
    assert.equal(await served('paths.test', '/api/v1/items'), 'p_prefix');
    assert.equal(await served('paths.test', '/apix'), 404);
  });

  it('matches a path template with every parameter present', { timeout: 5000 }, async () => {
    assert.equal(await served('paths.test', '/users/7/orders/9'), 'p_tmpl');
    assert.equal(await served('paths.test', '/users/7/orders'), 404);
    assert.equal(await served('paths.test', '/users/7/orders/9/extra'), 404);
  });

  it(
    'answers 405 with Allow for a method the route does not accept',
    { timeout: 5000 },
    async () => {
      const before = ups.get('methods')!.requests.length;
      const answer = await http.request('/thing', {
        method: 'DELETE',
        headers: { host: 'methods.test' },
      });
      assert.equal(answer.status, 405);
      const allow = header(answer, 'allow').split(/\s*,\s*/);
      assert.ok(allow.includes('GET') && allow.includes('POST'), `Allow: ${allow}`);
      assert.ok(!allow.includes('DELETE'));
      assert.equal(ups.get('methods')!.requests.length, before, 'the upstream saw the DELETE');
      assert.equal(
        await served('methods.test', '/thing', { method: 'POST', body: 'x' }),
        'methods',
      );
    },
  );

  it('picks the route whose header condition holds', { timeout: 5000 }, async () => {
    assert.equal(await served('headers.test', '/', { headers: { 'x-version': '2' } }), 'h2');
    assert.equal(await served('headers.test', '/', { headers: { 'x-version': '3' } }), 'h_any');
    assert.equal(await served('headers.test', '/'), 'h_any');
  });

  it('answers 404 Not Found when no route matches, reaching no upstream', async () => {
    const seen = [...ups.values()].reduce((n, u) => n + u.requests.length, 0);
    const answer = await http.request('/nowhere', { headers: { host: 'unknown.test' } });
    assert.equal(answer.status, 404);
    assert.equal(answer.text.trim(), 'Not Found');
    assert.match(header(answer, 'content-type'), /^text\/plain/);
    assert.equal(
      [...ups.values()].reduce((n, u) => n + u.requests.length, 0),
      seen,
    );
  });

  it('passes the Host header on as the client sent it', { timeout: 5000 }, async () => {
    const echo = await http.json('/h', { headers: { host: 'www.example.test' } });
    assert.deepEqual(
      echo.headers.filter(([n]) => n.toLowerCase() === 'host').map(([, v]) => v),
      ['www.example.test'],
    );
  });

  it('logs one access line per request with route, cluster and upstream', async () => {
    await http.request('/logged?q=1', { headers: { host: 'paths.test' } }).catch(() => undefined);
    await http.request('/api/logged', { headers: { host: 'paths.test' } });
    const line = await jw.waitForLog((l) => l.component === 'access' && l.path === '/api/logged');
    assert.equal(line.msg, 'request');
    assert.equal(line.method, 'GET');
    assert.equal(line.route, 'r_p_prefix');
    assert.equal(line.cluster, 'p_prefix');
    assert.equal(line.upstream, ups.get('p_prefix')!.address);
    assert.equal(line.status, 200);
    assert.equal(typeof line.duration_ms, 'number');
    assert.equal(line.client, '127.0.0.1');
    assert.equal(jw.accessLogs.filter((l) => l.path === '/api/logged').length, 1);
  });
});
