// nginx as a reverse proxy, configured the way a careful operator would for this comparison:
// keep-alive to the upstream (which needs HTTP/1.1 and an empty Connection header), a raised
// keepalive_requests (the default of 1000 makes clients reconnect mid-run), streaming uploads.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { start, waitForHttp } from '../process.js';
import { tools } from '../tools.js';
import { tempPaths } from '../upstream/nginx-upstream.js';
import type { Contender, ContenderInput } from './types.js';

/** A header name as nginx exposes it in a variable: `x-user-id` is `$http_x_user_id`. */
export function nginxHeaderVariable(header: string): string {
  return `$http_${header.toLowerCase().replace(/-/g, '_')}`;
}

/** nginx.conf of the proxy in front of `input.upstreams`. */
export function nginxProxyConfig(input: ContenderInput): string {
  const { rateLimit, consistentHash } = input.route;
  const servers = input.upstreams.map((u) => `    server ${u} max_fails=0;`).join('\n');
  const hash = consistentHash
    ? `    hash ${nginxHeaderVariable(consistentHash.header)} consistent;\n`
    : '';
  const zone = rateLimit
    ? `  limit_req_zone $binary_remote_addr zone=bench:1m rate=${rateLimit.rate}r/s;\n`
    : '';
  const limit = rateLimit
    ? `      limit_req zone=bench burst=${rateLimit.burst} nodelay;\n      limit_req_status 429;\n`
    : '';
  // Idle upstream connections kept per worker: one per downstream connection, so none is
  // closed and reopened during the run.
  const idle = Math.max(64, input.connections);
  // Under a launcher (valgrind), which follows no fork, one process does all the work.
  const processes = input.launcher ? 'master_process off;' : `worker_processes ${input.workers};`;
  return `# Written by the Jetway bench harness: nginx as a contender.
${processes}
pid ${input.dir}/nginx.pid;
error_log ${input.dir}/nginx-error.log warn;
worker_rlimit_nofile 20000;
events { worker_connections 16384; }
http {
${tempPaths(input.dir, 'proxy')}
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
${zone}  upstream bench {
${hash}${servers}
    keepalive ${idle};
    keepalive_requests 100000000;
    keepalive_timeout 300s;
  }
  server {
    listen 127.0.0.1:${input.port} backlog=4096;
    client_max_body_size 0;
    location / {
      proxy_pass http://bench;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      # The headers Jetway sets too, so both do the same work per request.
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      # Stream bodies both ways as Jetway does, never through temp files.
      proxy_request_buffering off;
      proxy_max_temp_file_size 0;
${limit}    }
  }
}
`;
}

export const nginx: Contender = {
  name: 'nginx',
  unavailable: () =>
    tools().nginx ? null : 'nginx is not installed (apt-get install nginx-light)',
  start: async (input) => {
    const bin = tools().nginx?.path as string;
    const conf = join(input.dir, 'nginx.conf');
    writeFileSync(conf, nginxProxyConfig(input));
    // Workers run as nobody when the harness runs as root; they must reach the temp paths.
    chmodSync(input.dir, 0o755);

    const args = ['-p', input.dir, '-c', conf, '-e', `${input.dir}/nginx-error.log`];
    const opts = { cpus: input.cpus, prefix: input.launcher?.prefix };
    const proc = start('nginx', bin, [...args, '-g', 'daemon off;'], `${conf}.log`, opts);
    const origin = `http://127.0.0.1:${input.port}`;
    await waitForHttp(`${origin}${input.probePath}`, proc, input.launcher?.readyTimeoutMs);
    return { name: 'nginx', origin, pids: [proc.pid], stop: () => proc.stop() };
  },
};
