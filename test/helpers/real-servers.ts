// Real HTTP servers nobody here wrote, started for a test and stopped by their own pid: nginx
// serving a directory (with its own prefix, config, pid file and logs), and Python's
// `http.server`. Both only ever listen on loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { track } from './daemon.js';
import { freePort, isListening } from './ports.js';
import { until } from './wait.js';

export interface RealServer {
  port: number;
  address: string;
  pid: number;
  stop(): Promise<void>;
}

export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p)) ?? 'nginx';

async function stopChild(child: ChildProcess, signal: NodeJS.Signals, pid: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  process.kill(pid, signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** nginx in the foreground (`daemon off`), serving `root`; stopped by SIGQUIT to its pid file. */
export async function startNginx(root: string): Promise<RealServer> {
  const port = await freePort();
  const prefix = mkdtempSync(join(tmpdir(), 'jetway-nginx-'));
  for (const d of ['logs', 'tmp']) mkdirSync(join(prefix, d));
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(conf, nginxConf(prefix, root, port));
  const child = track(
    spawn(NGINX, ['-p', prefix, '-c', conf, '-e', join(prefix, 'logs', 'error.log')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await until(`nginx on ${port} (${stderr})`, () => isListening(port), 10_000);
  const pidFile = join(prefix, 'nginx.pid');
  await until('nginx pid file', () => existsSync(pidFile), 5000);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  return {
    port,
    address: `127.0.0.1:${port}`,
    pid,
    stop: async () => {
      await stopChild(child, 'SIGQUIT', pid);
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

function nginxConf(prefix: string, root: string, port: number): string {
  const tmp = join(prefix, 'tmp');
  return `worker_processes 1;
daemon off;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'logs', 'error.log')} warn;
events { worker_connections 256; }
http {
  access_log ${join(prefix, 'logs', 'access.log')};
  client_body_temp_path ${tmp}/client;
  proxy_temp_path ${tmp}/proxy;
  fastcgi_temp_path ${tmp}/fastcgi;
  uwsgi_temp_path ${tmp}/uwsgi;
  scgi_temp_path ${tmp}/scgi;
  types { text/html html; text/plain txt; application/json json; application/octet-stream bin; }
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location = /health { return 200 "ok\\n"; }
  }
}
`;
}

/** `python3 -m http.server` on a free loopback port, serving `root`; stopped by its handle. */
export async function startPythonHttp(root: string): Promise<RealServer> {
  const port = await freePort();
  const child = track(
    spawn(
      'python3',
      ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', root],
      {
        stdio: ['ignore', 'ignore', 'ignore'],
      },
    ),
  );
  await until(`python http.server on ${port}`, () => isListening(port), 10_000);
  return {
    port,
    address: `127.0.0.1:${port}`,
    pid: child.pid!,
    stop: () => stopChild(child, 'SIGTERM', child.pid!),
  };
}
