// The scenarios `npm run bench` knows. Each one says what the load generator sends, what the
// upstream answers, and what the proxies must do on the way (plain pass-through, a rate limit,
// a consistent-hash cluster); the harness turns that into every contender's config. Most
// measure load over time; `micro` runs the hot path's micro-benchmarks; `instructions` counts
// what each proxy executes per request, in batches of a fixed number of requests.

export interface RequestShape {
  method: 'GET' | 'POST';
  /** Path on the upstream; every proxy passes it through unchanged. */
  path: string;
  /** Request body size in bytes (0: none). */
  bodyBytes: number;
  /** A header that takes `keys` different values in turn, for hashing and per-key limits. */
  keyHeader?: { name: string; keys: number };
}

export interface RouteShape {
  /** A quota on the route, keyed by client IP; set high enough that it never refuses. */
  rateLimit?: { rate: number; burst: number };
  /** Hash the named header onto a ring of the scenario's upstreams. */
  consistentHash?: { header: string };
}

export interface ScenarioDefaults {
  connections: number;
  durationMs: number;
  warmupMs: number;
  rounds: number;
  /** Open loop at this many requests/s (total) when set. */
  rate?: number;
  /** Bounded batches (instructions): requests per connection in each batch. */
  batch?: number;
  /** Bounded batches (instructions): unmeasured batches before the measured ones. */
  warmupBatches?: number;
}

export interface Scenario {
  name: string;
  description: string;
  kind: 'load' | 'micro' | 'instructions';
  /** Part of a bare `npm run bench`. */
  inDefault: boolean;
  request: RequestShape;
  /** How many upstream listeners the cluster has. */
  upstreams: number;
  /** nginx (`return 200` and files) or a node server that reads request bodies first. */
  upstreamKind: 'nginx' | 'node';
  route: RouteShape;
  defaults: ScenarioDefaults;
}

export const KIB = 1024;
export const MIB = 1024 * KIB;

/** Defaults of every scenario; those with large bodies use fewer connections. */
const BASE: ScenarioDefaults = { connections: 64, durationMs: 5000, warmupMs: 1000, rounds: 3 };

/** Ceiling on keep-alive clients in many-connections: file descriptors are counted per process. */
export const MAX_MANY_CONNECTIONS = 4000;

function load(
  name: string,
  description: string,
  request: Partial<RequestShape> & { path: string },
  extra: Partial<Pick<Scenario, 'upstreams' | 'upstreamKind' | 'route' | 'inDefault'>> = {},
  defaults: Partial<ScenarioDefaults> = {},
): Scenario {
  return {
    name,
    description,
    kind: 'load',
    inDefault: extra.inDefault ?? true,
    request: { method: 'GET', bodyBytes: 0, ...request },
    upstreams: extra.upstreams ?? 1,
    upstreamKind: extra.upstreamKind ?? 'nginx',
    route: extra.route ?? {},
    defaults: { ...BASE, ...defaults },
  };
}

/**
 * An instructions scenario: GET /small through each proxy in bounded batches of
 * `connections × batch` requests, `rounds` of them measured.
 */
function instructions(
  name: string,
  description: string,
  inDefault: boolean,
  defaults: Pick<ScenarioDefaults, 'connections' | 'rounds' | 'batch' | 'warmupBatches'>,
): Scenario {
  return {
    ...load(name, description, { path: '/small' }, { inDefault }),
    kind: 'instructions',
    // No time-bounded load: warm-up and measurement are batches.
    defaults: { ...BASE, durationMs: 0, warmupMs: 0, ...defaults },
  };
}

export const SCENARIOS: readonly Scenario[] = [
  load('small', 'GET, 14-byte response', { path: '/small' }),
  load('4k', 'GET, 4 KiB response', { path: '/bodies/4k' }),
  load('64k', 'GET, 64 KiB response', { path: '/bodies/64k' }, {}, { connections: 32 }),
  load('1m', 'GET, 1 MiB response', { path: '/bodies/1m' }, {}, { connections: 16 }),
  load(
    'upload-1m',
    'POST of 1 MiB, 3-byte response',
    { method: 'POST', path: '/upload', bodyBytes: MIB },
    { upstreamKind: 'node' },
    { connections: 16 },
  ),
  load(
    'many-connections',
    'GET, 14-byte response, 2000 keep-alive clients',
    { path: '/small' },
    {},
    { connections: 2000 },
  ),
  load(
    'open-loop',
    'GET, 14-byte response, fixed 5000 requests/s',
    { path: '/small' },
    {},
    {
      rate: 5000,
    },
  ),
  // TODO(bench): a second rate-limit scenario where most requests are refused, to measure
  // the 429 path; this one measures what checking a quota costs on the pass path.
  load(
    'rate-limit',
    'GET through a route with a per-client-IP quota that never refuses',
    { path: '/small' },
    { route: { rateLimit: { rate: 1_000_000, burst: 1_000_000 } } },
  ),
  load(
    'consistent-hash',
    'GET, ketama ring of 4 upstreams keyed by x-user-id (1000 keys)',
    { path: '/small', keyHeader: { name: 'x-user-id', keys: 1000 } },
    { upstreams: 4, route: { consistentHash: { header: 'x-user-id' } } },
  ),
  instructions(
    'instructions',
    'callgrind: user-space instructions per proxied GET, 14-byte response',
    true,
    { connections: 16, rounds: 3, batch: 200, warmupBatches: 3 },
  ),
  {
    name: 'micro',
    description: 'tinybench micro-benchmarks of the hot path: native, WASM, TypeScript',
    kind: 'micro',
    inDefault: true,
    request: { method: 'GET', path: '/', bodyBytes: 0 },
    upstreams: 0,
    upstreamKind: 'nginx',
    route: {},
    defaults: { ...BASE, rounds: 1 },
  },
  load(
    'smoke',
    'a few seconds of small responses, for CI (no timing assertion)',
    { path: '/small' },
    { inDefault: false },
    { connections: 8, durationMs: 1000, warmupMs: 300, rounds: 1 },
  ),
  instructions(
    'instructions-smoke',
    'instructions with small batches, for CI (no figure asserted)',
    false,
    { connections: 4, rounds: 1, batch: 50, warmupBatches: 1 },
  ),
];

export class UnknownScenarioError extends Error {
  readonly code = 'BENCH_UNKNOWN_SCENARIO';
}

/** The scenarios named, in the order given; all default ones for none. */
export function pickScenarios(names: readonly string[]): Scenario[] {
  if (names.length === 0) return SCENARIOS.filter((s) => s.inDefault);
  return names.map((name) => {
    const found = SCENARIOS.find((s) => s.name === name);
    if (!found) {
      const known = SCENARIOS.map((s) => s.name).join(', ');
      throw new UnknownScenarioError(`unknown scenario "${name}" (known: ${known})`);
    }
    return found;
  });
}
