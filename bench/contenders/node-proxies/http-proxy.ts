// http-proxy as a contender: a node:http server whose every request goes through
// `proxy.web()`, with a keep-alive http.Agent to the upstreams. Run by the harness as
// `node http-proxy.js SETTINGS.json`.
import { Agent, createServer, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import httpProxy from 'http-proxy';
import {
  DOWNSTREAM_KEEP_ALIVE_MS,
  listen,
  readSettings,
  roundRobin,
  runWorkers,
  type NodeProxySettings,
} from './workers.js';

/** A failed upstream exchange: a short 502 when nothing was sent yet, else a cut connection. */
function refuse(res: ServerResponse | Socket): void {
  if (!('writeHead' in res) || res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(502, { 'content-type': 'text/plain', 'content-length': '12' });
  res.end('bad gateway\n');
}

async function serve(s: NodeProxySettings): Promise<void> {
  // Without an agent http-proxy asks the upstream to close after every response. One idle
  // socket per downstream connection, as nginx's `keepalive` gets, so none is reopened.
  const agent = new Agent({
    keepAlive: true,
    maxSockets: s.connections,
    maxFreeSockets: s.connections,
  });
  // xfwd: the X-Forwarded-* headers that Jetway and nginx set too.
  const proxy = httpProxy.createProxyServer({ agent, xfwd: true });
  proxy.on('error', (_err, _req, res) => refuse(res));

  // http-proxy takes its target per call, so a round robin over several upstreams is one
  // line; it has no selection policy of its own.
  const next = roundRobin(s.upstreams);
  const server = createServer((req, res) => proxy.web(req, res, { target: next() }));
  server.keepAliveTimeout = DOWNSTREAM_KEEP_ALIVE_MS;
  await listen(server, s.port);
}

runWorkers(readSettings(process.argv[2]), serve);
