// The test harness itself, without Jetway: the scripted upstream and the raw client must read
// HTTP/1.1 correctly, or every other test here would prove nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { headerValue } from '../helpers/http1.js';
import { RawClient, req } from '../helpers/raw-client.js';
import { startUpstream, type ScriptedUpstream } from '../helpers/upstream.js';

describe('test harness', { timeout: 20_000 }, () => {
  let u: ScriptedUpstream;

  before(async () => {
    u = await startUpstream({ name: 'h' });
  });
  after(() => u.stop());

  it('records pipelined requests with length and chunked bodies in order', async () => {
    const c = await RawClient.connect(u.port);
    c.send(
      req('POST /a?x=1 HTTP/1.1', 'Host: t', 'Content-Length: 3') +
        'abc' +
        req('POST /b HTTP/1.1', 'Host: t', 'Transfer-Encoding: chunked') +
        '2\r\nde\r\n1;ext=1\r\nf\r\n0\r\n\r\n' +
        req('GET /c HTTP/1.1', 'Host: t'),
    );
    const answers = [await c.response(), await c.response(), await c.response()];
    c.destroy();
    assert.deepEqual(
      answers.map((a) => JSON.parse(a.body.toString()).target),
      ['/a?x=1', '/b', '/c'],
    );
    const [a, b] = u.requests;
    assert.equal(a!.body.toString(), 'abc');
    assert.equal(b!.body.toString(), 'def');
    assert.equal(headerValue(a!.headers, 'content-length'), '3');
  });

  it('reads a chunked response up to its last chunk and flags a cut one', async () => {
    u.handler = (r, reply) => {
      const head = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n';
      reply.raw(r.target === '/whole' ? `${head}0\r\n\r\n` : head);
      if (r.target !== '/whole') reply.close();
    };
    const c = await RawClient.connect(u.port);
    c.send(req('GET /whole HTTP/1.1', 'Host: t') + req('GET /cut HTTP/1.1', 'Host: t'));
    const whole = await c.response();
    const cut = await c.response();
    assert.equal(whole.complete, true);
    assert.equal(whole.body.toString(), 'abc');
    assert.equal(cut.complete, false);
    assert.equal(cut.sawLastChunk, false);
  });
});
