// HAProxy as a reverse proxy. In http mode it keeps upstream connections alive and reuses
// them by default (http-reuse safe), so only timeouts and the route features are set here.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { start, waitForHttp } from '../process.js';
import { tools } from '../tools.js';
import type { Contender, ContenderInput } from './types.js';

/** Most downstream connections HAProxy accepts; it needs two descriptors for each. */
const MAXCONN = 8000;

/** haproxy.cfg of the proxy in front of `input.upstreams`. */
export function haproxyConfig(input: ContenderInput): string {
  const { rateLimit, consistentHash } = input.route;
  const servers = input.upstreams.map((u, i) => `  server u${i} ${u}`).join('\n');
  const balance = consistentHash
    ? `  balance hdr(${consistentHash.header})\n  hash-type consistent\n`
    : '';
  // A sliding one-second request rate per client address; the nearest HAProxy has to a quota.
  const track = rateLimit
    ? '  http-request track-sc0 src table bench_quota\n' +
      `  http-request deny deny_status 429 if { sc_http_req_rate(0) gt ${rateLimit.burst} }\n`
    : '';
  const table = rateLimit
    ? '\nbackend bench_quota\n  stick-table type ip size 100k expire 60s store http_req_rate(1s)\n'
    : '';
  return `# Written by the Jetway bench harness: HAProxy as a contender.
global
  nbthread ${input.workers}
  maxconn ${MAXCONN}

defaults
  mode http
  maxconn 8000
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 300s
  # The header Jetway sets too, so both do the same work per request.
  option forwardfor

frontend bench
  bind 127.0.0.1:${input.port}
${track}  default_backend bench

backend bench
${balance}${servers}
${table}`;
}

export const haproxy: Contender = {
  name: 'haproxy',
  unavailable: () =>
    tools().haproxy ? null : 'HAProxy is not installed (apt-get install haproxy)',
  start: async (input) => {
    const bin = tools().haproxy?.path as string;
    const conf = join(input.dir, 'haproxy.cfg');
    writeFileSync(conf, haproxyConfig(input));

    // -db: stay in the foreground, one process, so its pid is the one to account and stop.
    const opts = { cpus: input.cpus, prefix: input.launcher?.prefix };
    const proc = start('haproxy', bin, ['-db', '-f', conf], `${conf}.log`, opts);
    const origin = `http://127.0.0.1:${input.port}`;
    await waitForHttp(`${origin}${input.probePath}`, proc, input.launcher?.readyTimeoutMs);
    return { name: 'haproxy', origin, pids: [proc.pid], stop: () => proc.stop() };
  },
};
