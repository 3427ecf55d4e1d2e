// The config schema: every key Jetway reads, its default and what it accepts.
// README.md documents the same keys; `jetway validate` checks a file against this.
import { isIP } from 'node:net';
import { z } from 'zod';

/** A duration: a number of milliseconds, or a string such as `250ms`, `2s`, `1m`, `1h`. */
export const duration = z
  .union([z.number().int().nonnegative(), z.string()])
  .transform((v, ctx) => {
    if (typeof v === 'number') return v;
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v.trim());
    if (!m) {
      ctx.addIssue({
        code: 'custom',
        message: 'not a duration (accepted: 250ms, 2s, 1m, 1h, or ms)',
      });
      return z.NEVER;
    }
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    return Math.round(Number(m[1]) * unit);
  });

const port = z.number().int().min(0).max(65535);
const hostPort = z
  .string()
  .regex(
    /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/,
    'not host:port (accepted: 127.0.0.1:3000)',
  )
  .refine((v) => {
    const p = Number(v.slice(v.lastIndexOf(':') + 1));
    return p >= 1 && p <= 65535;
  }, 'port out of range (accepted: 1 to 65535)');
/** An address to listen on: an IP literal, since a name would be resolved only at start. */
const listenAddress = z
  .string()
  .refine((v) => isIP(v) !== 0, 'not an IP address (accepted: 127.0.0.1, 0.0.0.0, ::1, ::)');

export const POLICIES = [
  'round_robin',
  'weighted_round_robin',
  'least_conn',
  'ip_hash',
  'consistent_hash',
  'random_two',
] as const;

export const METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'TRACE',
] as const;

/** Where a hash or a rate-limit key comes from. */
export const keySource = z.union([
  z.enum(['client_ip', 'path', 'route']),
  z.string().regex(/^(header|cookie):[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'not a key source'),
]);

const upstream = z.strictObject({
  /** host:port of the upstream; also its name in logs, metrics and the ketama ring. */
  address: hostPort,
  /** Relative share for weighted policies and ring points (1). */
  weight: z.number().int().min(1).max(1000).default(1),
});

const activeHealth = z.strictObject({
  /** Path probed with GET ("/healthz"). */
  path: z.string().startsWith('/').default('/healthz'),
  /** Time between probes of one upstream (5s). */
  interval: duration.default(5000),
  /** A probe with no full response by then fails (1s). */
  timeout: duration.default(1000),
  /** Statuses that count as healthy ([200..399]). */
  expected_statuses: z.array(z.number().int().min(100).max(599)).nonempty().optional(),
  /** Consecutive good probes that bring an unhealthy upstream back (2). */
  healthy_threshold: z.number().int().min(1).default(2),
  /** Consecutive failed probes that take a healthy upstream out (3). */
  unhealthy_threshold: z.number().int().min(1).default(3),
});

const passiveHealth = z.strictObject({
  /**
   * Consecutive failures (connect errors, resets, timeouts, 5xx) that eject an upstream (5);
   * 0 turns passive checks off.
   */
  max_failures: z.number().int().min(0).default(5),
  /** Whether a 5xx response counts as a failure (true). */
  count_5xx: z.boolean().default(true),
  /** How long an ejected upstream gets no traffic (30s). */
  eject_time: duration.default(30_000),
});

const timeouts = z.strictObject({
  /** TCP connect to an upstream (5s). */
  connect: duration.default(5000),
  /** From the request sent to the response headers received (30s). */
  header: duration.default(30_000),
  /** Longest gap between two body chunks in either direction (30s). */
  idle: duration.default(30_000),
  /** Whole exchange, headers to last byte; 0 means no limit (0). */
  total: duration.default(0),
});

const pool = z.strictObject({
  /**
   * The HTTP/1.1 client to the upstreams (jetway): `jetway` is Jetway's own; `undici` is undici's
   * Pool, which costs more per request.
   */
  client: z.enum(['jetway', 'undici']).default('jetway'),
  /** Most connections per upstream per worker (128). */
  connections: z.number().int().min(1).default(128),
  /**
   * Requests in flight on one upstream connection (1): 1 disables pipelining. Above 1, Jetway's
   * client pipelines only idempotent requests without a body, and writes those of one event-loop
   * turn to one connection at once; undici pipelines as it does.
   */
  pipelining: z.number().int().min(1).max(100).default(1),
  /**
   * Idle pooled connections are closed after this, or earlier when the upstream's Keep-Alive
   * hint says so (4s).
   */
  keepalive_timeout: duration.default(4000),
});

const hash = z.strictObject({
  /** What is hashed: client_ip, path, header:NAME or cookie:NAME (client_ip). */
  key: keySource.default('client_ip'),
  /** The ring: ketama (nginx `hash ... consistent` compatible) or maglev (ketama). */
  algorithm: z.enum(['ketama', 'maglev']).default('ketama'),
});

const cluster = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'not a name (accepted: letters, digits, _ . -)'),
  /** The selection policy (round_robin). */
  policy: z.enum(POLICIES).default('round_robin'),
  /** Hash settings for consistent_hash (key client_ip, ketama). */
  hash: hash.prefault({}),
  upstreams: z.array(upstream).nonempty(),
  health: z
    .strictObject({
      /** Active probes from the control plane; off when absent. */
      active: activeHealth.optional(),
      /** Judgement from live traffic (on, 5 failures, 30s). */
      passive: passiveHealth.prefault({}),
    })
    .prefault({}),
  timeouts: timeouts.prefault({}),
  pool: pool.prefault({}),
  /**
   * Further attempts when it is safe: a connect failure, or an idempotent request reset before
   * any response byte, with no request body sent yet (1).
   */
  retries: z.number().int().min(0).max(5).default(1),
});

const rateLimit = z.strictObject({
  /** Requests allowed per period, on average. */
  rate: z.number().int().min(1),
  /** The period over which `rate` applies (1s). */
  period: duration.default(1000),
  /** Requests that may arrive at once on an idle key (rate). */
  burst: z.number().int().min(1).optional(),
  /** Whom the limit counts: client_ip, route, header:NAME (client_ip). */
  key: keySource.default('client_ip'),
});

const routeMatch = z
  .strictObject({
    /** Host, exact (`api.example.test`) or wildcard (`*.example.test`); any host when absent. */
    host: z
      .string()
      .regex(/^(\*\.)?[A-Za-z0-9.-]+$/, 'not a host (accepted: a.b or *.b)')
      .optional(),
    /** Exact path. */
    path: z.string().startsWith('/').optional(),
    /** Path prefix at segment boundaries: `/api` matches `/api` and `/api/x`, not `/apix`. */
    prefix: z.string().startsWith('/').optional(),
    /** Path with parameters: `/users/:id/orders/:order`. */
    template: z.string().startsWith('/').optional(),
    /** Methods accepted; any when absent. */
    methods: z.array(z.enum(METHODS)).nonempty().optional(),
    /** Headers that must be present with exactly this value. */
    headers: z.record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/), z.string()).optional(),
  })
  .refine((m) => [m.path, m.prefix, m.template].filter((x) => x !== undefined).length <= 1, {
    message: 'path, prefix and template are exclusive (give at most one)',
  });

const route = z.strictObject({
  /** Name used in logs and metrics (route-N, by position). */
  name: z.string().optional(),
  match: routeMatch.prefault({}),
  /** The cluster that serves this route. */
  cluster: z.string(),
  /** Token-bucket limit for this route; none when absent. */
  rate_limit: rateLimit.optional(),
});

const listener = z.strictObject({
  /** Address to accept on: an IP address (127.0.0.1). */
  address: listenAddress.default('127.0.0.1'),
  port,
  /** Terminate TLS here with this PEM certificate chain and key; plain HTTP when absent. */
  tls: z
    .strictObject({
      cert_file: z.string().min(1),
      key_file: z.string().min(1),
    })
    .optional(),
});

const pathOptions = z.strictObject({
  /** Accept `%2F` in a path, passed on encoded (false). */
  allow_encoded_slash: z.boolean().default(false),
  /** Accept `\` and `%5C` in a path, passed on as is (false). */
  allow_backslash: z.boolean().default(false),
  /** Merge repeated slashes: `//a///b` becomes `/a/b` (true). */
  merge_slashes: z.boolean().default(true),
});

const limits = z.strictObject({
  /**
   * Most request headers before a 431 (48). uWS closes, without an answer, a request with
   * more than 48 headers whatever this says, so larger values are refused.
   */
  max_header_count: z.number().int().min(1).max(48).default(48),
  /**
   * Most characters in the request header fields, names and values with 4 per line for `: `
   * and CRLF, before a 431 (32768).
   */
  max_header_bytes: z.number().int().min(1024).default(32_768),
  /** Longest request target, path and query, before a 414 (8192). */
  max_url_bytes: z.number().int().min(256).default(8192),
  /** Largest request body in bytes; 0 means no limit (0). */
  max_body_bytes: z.number().int().min(0).default(0),
  /** Longest gap between two chunks of a request body before a 408 (30s). */
  client_body_timeout: duration.default(30_000),
});

export const configSchema = z.strictObject({
  /** Data-plane worker threads; 0 means one per core (0). */
  workers: z.number().int().min(0).max(64).default(0),
  listeners: z.array(listener).nonempty(),
  admin: z
    .strictObject({
      /** Admin listener address, an IP address; keep it on loopback (127.0.0.1). */
      address: listenAddress.default('127.0.0.1'),
      /** Admin listener port (9901). */
      port: port.default(9901),
    })
    .prefault({}),
  /** Peers whose X-Forwarded-For / Forwarded values are believed (none). */
  trusted_proxies: z.array(z.string()).default([]),
  /**
   * replace: upstreams get X-Forwarded-For set to the client alone; append: the trusted chain
   * kept with the peer appended (replace).
   */
  forwarded_for: z.enum(['replace', 'append']).default('replace'),
  path: pathOptions.prefault({}),
  limits: limits.prefault({}),
  /** How long in-flight requests may run after SIGTERM before they are cut (10s). */
  shutdown_timeout: duration.default(10_000),
  log: z
    .strictObject({
      /** pino level (info). */
      level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
      /** One line per request (true). */
      access: z.boolean().default(true),
    })
    .prefault({}),
  clusters: z.array(cluster).nonempty(),
  routes: z.array(route).nonempty(),
});

export type Config = z.output<typeof configSchema>;
export type ClusterConfig = Config['clusters'][number];
export type RouteConfig = Config['routes'][number];
export type UpstreamConfig = ClusterConfig['upstreams'][number];
export type RateLimitConfig = NonNullable<RouteConfig['rate_limit']>;
export type PolicyName = (typeof POLICIES)[number];
