// Jetway itself, started from this repository's build with a config the harness writes.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { REPO_ROOT } from '../paths.js';
import { freePort, start, waitForHttp } from '../process.js';
import type { Contender, ContenderInput } from './types.js';

const BIN = join(REPO_ROOT, 'bin', 'jetway.js');
// What bin/jetway.js loads; absent until `npm run build`.
const DIST_MAIN = join(REPO_ROOT, 'dist', 'ts', 'cli', 'main.js');

/** How a Jetway contender talks to the upstream (`pool.client`, `pool.pipelining`). */
export interface JetwayClient {
  client: 'jetway' | 'undici';
  pipelining: number;
}

const OWN_CLIENT: JetwayClient = { client: 'jetway', pipelining: 1 };

/**
 * Requests in flight per upstream connection for jetway-pipelined: enough for the requests that
 * arrive in one event-loop turn under load to share one write.
 */
export const BENCH_PIPELINING = 8;

/** The Jetway config (YAML) for `input`, with its admin listener on `adminPort`. */
export function jetwayConfig(
  input: ContenderInput,
  adminPort: number,
  { client, pipelining }: JetwayClient = OWN_CLIENT,
): string {
  const { rateLimit, consistentHash } = input.route;
  const cluster = {
    name: 'bench',
    policy: consistentHash ? 'consistent_hash' : 'round_robin',
    ...(consistentHash && {
      hash: { key: `header:${consistentHash.header}`, algorithm: 'ketama' },
    }),
    upstreams: input.upstreams.map((address) => ({ address })),
    // As many upstream connections as downstream ones, as nginx gets through `keepalive`.
    pool: {
      client,
      connections: Math.max(128, input.connections),
      keepalive_timeout: '60s',
      ...(pipelining > 1 && { pipelining }),
    },
  };
  const route = {
    name: 'bench',
    match: { prefix: '/' },
    cluster: 'bench',
    ...(rateLimit && {
      rate_limit: { rate: rateLimit.rate, period: '1s', burst: rateLimit.burst, key: 'client_ip' },
    }),
  };
  const config = {
    workers: input.workers,
    listeners: [{ address: '127.0.0.1', port: input.port }],
    admin: { address: '127.0.0.1', port: adminPort },
    // No access log, as nginx and HAProxy run with none: a log line per request is a cost of
    // its own that every proxy would pay.
    log: { level: 'warn', access: false },
    clusters: [cluster],
    routes: [route],
  };
  return `# Written by the Jetway bench harness: Jetway as a contender.\n${stringify(config)}`;
}

/** Jetway with the upstream client settings `client`, named `name` in the tables. */
function jetwayContender(
  name: 'jetway' | 'jetway-pipelined' | 'jetway-undici',
  client: JetwayClient,
): Contender {
  return {
    name,
    unavailable: () => {
      if (!existsSync(BIN)) return 'bin/jetway.js is not in this tree yet';
      if (!existsSync(DIST_MAIN)) return 'dist/ts/cli/main.js is missing; run npm run build';
      return null;
    },
    start: async (input) => {
      const adminPort = await freePort();
      const conf = join(input.dir, `${name}.yaml`);
      writeFileSync(conf, jetwayConfig(input, adminPort, client));

      const args = [BIN, 'start', '--config', conf];
      const opts = { cwd: REPO_ROOT, cpus: input.cpus, prefix: input.launcher?.prefix };
      const proc = start(name, process.execPath, args, `${conf}.log`, opts);
      const readyMs = input.launcher?.readyTimeoutMs;
      await waitForHttp(`http://127.0.0.1:${adminPort}/healthz`, proc, readyMs);
      const origin = `http://127.0.0.1:${input.port}`;
      await waitForHttp(`${origin}${input.probePath}`, proc, readyMs);
      return { name, origin, pids: [proc.pid], stop: () => proc.stop() };
    },
  };
}

export const jetway = jetwayContender('jetway', OWN_CLIENT);
export const jetwayPipelined = jetwayContender('jetway-pipelined', {
  client: 'jetway',
  pipelining: BENCH_PIPELINING,
});
export const jetwayUndici = jetwayContender('jetway-undici', { client: 'undici', pipelining: 1 });
