// fast-gateway as a contender, set up as its README shows: one route whose prefix takes every
// path, served by restana on node:http and proxied by fast-proxy-lite. Run by the harness as
// `node fast-gateway.js SETTINGS.json`. Version 3.4: fast-gateway 5 needs restana 6, which
// needs Node.js 24.
import type { IncomingMessage, ServerResponse } from 'node:http';
import gateway from 'fast-gateway';
import {
  DOWNSTREAM_KEEP_ALIVE_MS,
  listen,
  readSettings,
  roundRobin,
  runWorkers,
  type NodeProxySettings,
} from './workers.js';

/** The options fast-gateway builds for each proxied request; `base` overrides the target. */
type ProxyOptions = { base?: string };
/** fast-proxy-lite's proxy function, as fast-gateway hands it to a route's proxyHandler. */
type Proxy = (req: IncomingMessage, res: ServerResponse, url: string, opts: ProxyOptions) => void;

/**
 * A proxyHandler that sends each request to the next upstream. fast-gateway builds `opts`
 * afresh per request (its hooks and query string ride in it), so setting `base` there is safe.
 */
function rotating(next: () => string) {
  return (
    req: IncomingMessage,
    res: ServerResponse,
    url: string,
    proxy: Proxy,
    opts: ProxyOptions,
  ) => {
    opts.base = next();
    proxy(req, res, url, opts);
  };
}

async function serve(s: NodeProxySettings): Promise<void> {
  const server = gateway({
    routes: [
      {
        // '' + fast-gateway's default pathRegex '/*': every path, passed on unchanged.
        prefix: '',
        target: `http://${s.upstreams[0]}`,
        // Pass the query string on as received, as every other contender does; by default
        // fast-gateway rebuilds it from the parsed one and leaves a lone `?` when there is none.
        disableQsOverwrite: true,
        // Its default agent already keeps upstream connections alive (up to 2048 sockets);
        // raised only when a run has more downstream connections than that.
        proxyConfig: {
          maxSockets: Math.max(2048, s.connections),
          maxFreeSockets: Math.max(2048, s.connections),
        },
        // A route has one target; proxyHandler is fast-gateway's hook to choose another per
        // request, and `base` the option of fast-proxy-lite that takes it.
        ...(s.upstreams.length > 1 && { proxyHandler: rotating(roundRobin(s.upstreams)) }),
      },
    ],
  });

  const http = server.getServer();
  http.keepAliveTimeout = DOWNSTREAM_KEEP_ALIVE_MS;
  await listen(http, s.port);
}

runWorkers(readSettings(process.argv[2]), serve);
