// What the scripts of the Node.js proxy contenders share: their settings, read from the JSON
// file the harness writes, an upstream picker, and how `workers` processes share one port.
// These scripts run as child processes of the harness; they never run inside it.
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';

/** Settings of one Node.js proxy contender, as the harness writes them. */
export interface NodeProxySettings {
  /** The port its listener binds on 127.0.0.1. */
  port: number;
  /** host:port of each upstream of the cluster. */
  upstreams: string[];
  /** Processes that serve the port. */
  workers: number;
  /** Downstream connections of the scenario; upstream keep-alive is sized to match. */
  connections: number;
}

/**
 * How long an idle downstream connection stays open: long enough that none is closed
 * mid-run, as nginx's keepalive_timeout 300s ensures (node:http's default is 5 s).
 */
export const DOWNSTREAM_KEEP_ALIVE_MS = 300_000;

export class NodeProxySettingsError extends Error {
  readonly code = 'BENCH_NODE_PROXY_SETTINGS';
}

/** Checks settings parsed from `source` (a file name, for the message). */
export function checkSettings(value: unknown, source: string): NodeProxySettings {
  const s = value as Partial<NodeProxySettings> | null;
  const positive = (n: unknown): boolean => Number.isInteger(n) && (n as number) > 0;
  const bad = (key: string, got: unknown): NodeProxySettingsError =>
    new NodeProxySettingsError(`${source}: ${key}: not usable: ${JSON.stringify(got)}`);

  if (s === null || typeof s !== 'object') throw bad('(top level)', s);
  if (!positive(s.port) || (s.port as number) > 65535) throw bad('port', s.port);
  if (!positive(s.workers)) throw bad('workers', s.workers);
  if (!positive(s.connections)) throw bad('connections', s.connections);
  const upstreams = s.upstreams;
  if (!Array.isArray(upstreams) || upstreams.length === 0) throw bad('upstreams', upstreams);
  if (!upstreams.every((u) => typeof u === 'string' && /^[^/\s]+:\d+$/.test(u))) {
    throw bad('upstreams', upstreams);
  }
  return s as NodeProxySettings;
}

/** Reads and checks the settings file the harness passed as the script's argument. */
export function readSettings(file: string | undefined): NodeProxySettings {
  if (file === undefined) throw new NodeProxySettingsError('usage: node SCRIPT SETTINGS.json');
  return checkSettings(JSON.parse(readFileSync(file, 'utf8')), file);
}

/** A picker that returns the upstreams' origins (`http://host:port`) in turn, from the first. */
export function roundRobin(upstreams: readonly string[]): () => string {
  const origins = upstreams.map((u) => `http://${u}`);
  let next = 0;
  return () => {
    const origin = origins[next];
    next = next + 1 === origins.length ? 0 : next + 1;
    return origin;
  };
}

/** Listens on 127.0.0.1:`port`; rejects when the port cannot be bound. */
export function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Runs `serve` in `settings.workers` processes that share one port. Node.js proxies are
 * scaled by running one process per core: one worker is this process itself, as one `node`
 * is run in production; more are node:cluster workers (what pm2's cluster mode does), and
 * the primary only accepts connections and hands them out round robin.
 */
export function runWorkers(
  settings: NodeProxySettings,
  serve: (s: NodeProxySettings) => Promise<void>,
): void {
  if (settings.workers > 1 && cluster.isPrimary) return forkWorkers(settings.workers);
  serve(settings).catch((err: unknown) => {
    process.stderr.write(`failed to serve: ${(err as Error)?.stack ?? err}\n`);
    process.exit(1);
  });
}

/** The cluster primary: forks the workers and exits when one dies, so the harness sees it. */
function forkWorkers(count: number): void {
  for (let i = 0; i < count; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    process.stderr.write(`worker ${worker.process.pid} exited (${signal ?? code})\n`);
    process.exit(1);
  });
}
