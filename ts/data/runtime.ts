// A config snapshot compiled for one worker: the router, each cluster's pools
// and selection policy, each route's limiter. Built off the request path when a
// snapshot arrives and swapped in whole, so a request sees one config only.
import { Pool, type Dispatcher } from 'undici';
import { createPolicy, StatesView, type SelectionPolicy } from '../balance/index.js';
import { normalizeOptions, routeSpec } from '../config/compile.js';
import type { ClusterConfig, Config, RouteConfig } from '../config/schema.js';
import type { UpstreamStates } from '../health/state.js';
import type { CidrSet, HotPath, Limiter, NormalizeOptions, Router } from '../hotpath/types.js';
import { linesToList } from './headers.js';
import { UpstreamError, UpstreamPool, type DispatchHandler, type UpstreamClient } from './pool.js';

export interface ClusterRuntime {
  readonly name: string;
  readonly config: ClusterConfig;
  readonly addresses: readonly string[];
  /** Slot of each upstream in the shared UpstreamStates. */
  readonly slots: readonly number[];
  readonly pools: readonly UpstreamClient[];
  readonly policy: SelectionPolicy;
}

export interface RouteRuntime {
  readonly name: string;
  readonly cluster: ClusterRuntime;
  readonly limiter: Limiter | null;
  readonly limit: RouteConfig['rate_limit'];
  /** `RateLimit-Policy` value: the rate per window and the burst, e.g. `5;w=60;burst=10`. */
  readonly limitPolicy: string;
}

export class Runtime {
  readonly router: Router;
  readonly routes: RouteRuntime[];
  readonly clusters: ClusterRuntime[];
  readonly trusted: CidrSet;
  readonly normalize: NormalizeOptions;

  constructor(
    readonly config: Config,
    readonly hotpath: HotPath,
    readonly states: UpstreamStates,
    generation: number,
  ) {
    this.normalize = normalizeOptions(config);
    this.trusted = hotpath.compileCidrs(config.trusted_proxies);
    this.router = hotpath.compileRouter(config.routes.map(routeSpec), this.normalize);

    let slot = 0;
    this.clusters = config.clusters.map((c) => {
      const built = buildCluster(c, slot, hotpath, states);
      slot += c.upstreams.length;
      return built;
    });
    this.routes = config.routes.map((r, i) => {
      const cluster = this.clusters.find((c) => c.name === r.cluster)!;
      const name = r.name ?? `route-${i}`;
      const limit = r.rate_limit;
      const limiter = limit
        ? hotpath.limiter(`${generation}:${name}`, {
            rate: limit.rate,
            periodMs: limit.period,
            burst: limit.burst ?? limit.rate,
          })
        : null;
      const limitPolicy = limit
        ? `${limit.rate};w=${Math.ceil(limit.period / 1000)};burst=${limit.burst ?? limit.rate}`
        : '';
      return { name, cluster, limiter, limit, limitPolicy };
    });
  }

  /** Closes every pool once its in-flight requests are done. */
  async close(): Promise<void> {
    await Promise.all(this.clusters.flatMap((c) => c.pools.map((p) => p.close())));
  }

  /** Cuts every upstream connection now. */
  async destroy(): Promise<void> {
    await Promise.all(this.clusters.flatMap((c) => c.pools.map((p) => p.destroy())));
  }
}

function buildCluster(
  c: ClusterConfig,
  first: number,
  hotpath: HotPath,
  states: UpstreamStates,
): ClusterRuntime {
  const slots = c.upstreams.map((_, i) => first + i);
  const pools = c.upstreams.map((u): UpstreamClient => {
    if (c.pool.client === 'undici') return undiciClient(u.address, c);
    return new UpstreamPool(u.address, {
      connections: c.pool.connections,
      connectTimeout: c.timeouts.connect,
      headerTimeout: c.timeouts.header,
      idleTimeout: c.timeouts.idle,
      keepAliveTimeout: c.pool.keepalive_timeout,
      pipelining: c.pool.pipelining,
    });
  });
  const view = new StatesView(
    states,
    first,
    c.upstreams.map((u) => u.weight),
  );
  const ring =
    c.policy === 'consistent_hash'
      ? hotpath.compileRing(
          c.hash.algorithm,
          c.upstreams.map((u) => ({ name: u.address, weight: u.weight })),
        )
      : undefined;
  const policy = createPolicy(c, view, ring);
  return {
    name: c.name,
    config: c,
    addresses: c.upstreams.map((u) => u.address),
    slots,
    pools,
    policy,
  };
}

/**
 * undici's Pool behind the same contract. undici reads async-iterable bodies and calls the same
 * handler methods; its types list only streams and its own method names.
 */
function undiciClient(address: string, c: ClusterConfig): UpstreamClient {
  const pool = new Pool(`http://${address}`, undiciOptions(c));
  return {
    dispatch: (opts, handler) => {
      const all = opts.lines ? [...opts.headers, ...linesToList(opts.lines)] : opts.headers;
      // The same refusal as Jetway's own client (see UpstreamPool.dispatch).
      if (opts.path.includes('\ufffd') || all.some((h) => h.includes('\ufffd'))) {
        handler.onConnect({ abort: () => {} });
        handler.onError(new UpstreamError('UND_ERR_INVALID_ARG', 'header value cannot be sent'));
        return false;
      }
      const headers = all.map(asUtf8Bytes);
      return pool.dispatch(
        {
          method: opts.method,
          path: opts.path,
          headers,
          body: opts.body,
        } as unknown as Dispatcher.DispatchOptions,
        undiciHandler(handler) as unknown as Dispatcher.DispatchHandler,
      );
    },
    close: () => pool.close(),
    destroy: () => pool.destroy(),
  };
}

/** `handler` in the form undici calls: its onConnect gets undici's abort function. */
function undiciHandler(handler: DispatchHandler): object {
  return {
    onConnect: (abort: (err?: Error) => void) => handler.onConnect({ abort }),
    onHeaders: (status: number, raw: Buffer[], resume: () => void, reason: string) =>
      handler.onHeaders(status, raw, resume, reason),
    onData: (chunk: Buffer) => handler.onData(chunk),
    onComplete: (trailers: Buffer[] | null) => handler.onComplete(trailers),
    onError: (err: Error) => handler.onError(err),
  };
}

/**
 * undici writes header text as Latin-1; Jetway's own client writes the UTF-8 the client sent.
 * Text with characters past ASCII is handed to undici as its UTF-8 bytes, so both send the same.
 */
function asUtf8Bytes(text: string): string {
  return NON_ASCII.test(text) ? Buffer.from(text, 'utf8').toString('latin1') : text;
}

const NON_ASCII = /[^\x00-\x7f]/;

function undiciOptions(c: ClusterConfig): Pool.Options {
  return {
    connections: c.pool.connections,
    pipelining: c.pool.pipelining,
    keepAliveTimeout: c.pool.keepalive_timeout,
    keepAliveMaxTimeout: c.pool.keepalive_timeout,
    // The upstream's own `Keep-Alive: timeout=` hint is honoured less this margin, so
    // Jetway stops reusing a connection before the upstream closes it.
    keepAliveTimeoutThreshold: 500,
    connect: { timeout: c.timeouts.connect },
    headersTimeout: c.timeouts.header,
    bodyTimeout: c.timeouts.idle,
    // Jetway validates framing itself and must pass large bodies through.
    maxResponseSize: -1,
    strictContentLength: true,
  };
}
