// The steady upstream every contender proxies to: nginx answering from memory (`return 200`)
// or from cached files, so the upstream costs little and the same for every contender. Uploads
// go to a small node server instead, which reads each body before it answers.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { start, waitForHttp, type Managed } from '../process.js';
import { KIB, MIB } from '../scenarios.js';

/** The body of /small: 14 bytes. */
export const SMALL_BODY = 'hello, jetway\n';

/** Files served under /bodies/ with their sizes. */
export const BODY_FILES: ReadonlyArray<[string, number]> = [
  ['4k', 4 * KIB],
  ['64k', 64 * KIB],
  ['1m', MIB],
];

export interface UpstreamConfigInput {
  prefix: string;
  ports: readonly number[];
  workers: number;
}

/**
 * nginx.conf of the upstream. Bodies above /small are files: nginx reads a config token into a
 * 4 KiB buffer, so a `return` string cannot hold them; open_file_cache keeps the files' opens
 * out of the measurement.
 */
export function upstreamConfig(input: UpstreamConfigInput): string {
  const listens = input.ports.map((p) => `    listen 127.0.0.1:${p} backlog=4096;`).join('\n');
  return `# Written by the Jetway bench harness: the upstream of every contender.
worker_processes ${input.workers};
pid ${input.prefix}/upstream.pid;
error_log ${input.prefix}/upstream-error.log warn;
worker_rlimit_nofile 20000;
events { worker_connections 16384; }
http {
${tempPaths(input.prefix, 'upstream')}
  access_log off;
  default_type application/octet-stream;
  sendfile on;
  open_file_cache max=16 inactive=600s;
  open_file_cache_valid 600s;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  server {
${listens}
    location = /small { return 200 "${SMALL_BODY.replace('\n', '\\n')}"; }
    location /bodies/ { root ${input.prefix}/www; }
    location = /healthz { return 200 "ok\\n"; }
  }
}
`;
}

/**
 * nginx's temp paths, directly inside the prefix (nginx creates only the last directory):
 * the default ones are not writable for everyone.
 */
export function tempPaths(prefix: string, name: string): string {
  const kinds = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'];
  return kinds.map((k) => `  ${k}_temp_path ${prefix}/${name}-${k}-tmp;`).join('\n');
}

/** The running upstream: its listeners and its process. */
export interface Upstream {
  addresses: string[];
  process: Managed;
}

/** Starts the body-reading node upstream of the upload scenario (upload-server.ts). */
export async function startUploadUpstream(prefix: string, ports: number[]): Promise<Upstream> {
  const script = fileURLToPath(new URL('./upload-server.js', import.meta.url));
  const args = [script, ...ports.map(String)];
  const proc = start('upstream node', process.execPath, args, join(prefix, 'upload-upstream.log'));
  const addresses = ports.map((p) => `127.0.0.1:${p}`);
  for (const a of addresses) await waitForHttp(`http://${a}/healthz`, proc);
  return { addresses, process: proc };
}

/** Writes the bodies and the config into `prefix`, starts nginx and waits until it answers. */
export async function startUpstream(nginx: string, input: UpstreamConfigInput): Promise<Upstream> {
  mkdirSync(join(input.prefix, 'www', 'bodies'), { recursive: true });
  for (const [name, size] of BODY_FILES) {
    writeFileSync(join(input.prefix, 'www', 'bodies', name), Buffer.alloc(size, 'x'));
  }
  const conf = join(input.prefix, 'upstream.conf');
  writeFileSync(conf, upstreamConfig(input));

  const args = ['-p', input.prefix, '-c', conf, '-e', `${input.prefix}/upstream-error.log`];
  const proc = start('upstream nginx', nginx, [...args, '-g', 'daemon off;'], `${conf}.log`);
  const addresses = input.ports.map((p) => `127.0.0.1:${p}`);
  for (const a of addresses) await waitForHttp(`http://${a}/healthz`, proc);
  return { addresses, process: proc };
}
