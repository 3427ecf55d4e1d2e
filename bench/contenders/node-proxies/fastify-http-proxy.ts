// fastify with @fastify/http-proxy as a contender: the plugin registered at the root, so every
// path goes to the upstream through @fastify/reply-from and undici's connection pools. Run by
// the harness as `node fastify-http-proxy.js SETTINGS.json`.
import proxy from '@fastify/http-proxy';
import Fastify from 'fastify';
import {
  DOWNSTREAM_KEEP_ALIVE_MS,
  readSettings,
  roundRobin,
  runWorkers,
  type NodeProxySettings,
} from './workers.js';

/**
 * One upstream is the plugin's `upstream`. It takes no list, so several go through its
 * per-request hook, getUpstream, with `upstream` left empty: reply-from sends to a fixed
 * `upstream` whatever getUpstream says.
 */
function upstreamOptions(upstreams: readonly string[]) {
  if (upstreams.length === 1) return { upstream: `http://${upstreams[0]}` };
  const next = roundRobin(upstreams);
  return { upstream: '', replyOptions: { getUpstream: () => next() } };
}

async function serve(s: NodeProxySettings): Promise<void> {
  // No logger, as nginx and HAProxy run with no access log.
  const app = Fastify({ logger: false, keepAliveTimeout: DOWNSTREAM_KEEP_ALIVE_MS });
  await app.register(proxy, {
    // One upstream connection per downstream one, as nginx's `keepalive` gets; undici keeps
    // them alive by itself. pipelining 1 is reply-from's default, said here for the reader.
    undici: { connections: s.connections, pipelining: 1 },
    ...upstreamOptions(s.upstreams),
  });
  await app.listen({ port: s.port, host: '127.0.0.1' });
}

runWorkers(readSettings(process.argv[2]), serve);
