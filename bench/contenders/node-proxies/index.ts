// The Node.js proxies a gateway is usually compared with: http-proxy, fast-gateway, and
// fastify with @fastify/http-proxy. Each runs as a process tree of its own, started from its
// script beside this module, in front of the scenario's upstreams with the same worker count
// as every other contender. Their packages are devDependencies, loaded only by those scripts,
// so the harness itself runs without them.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ContenderName } from '../../cli.js';
import { start, waitForHttp } from '../../process.js';
import type { RouteShape } from '../../scenarios.js';
import type { Contender, ContenderInput } from '../types.js';
import type { NodeProxySettings } from './workers.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const requireHere = createRequire(import.meta.url);

/** One Node.js proxy contender: its name, the packages its script loads, and the script. */
export interface NodeProxySpec {
  name: ContenderName;
  /** The package that does the proxying, named in the lines that say what it lacks. */
  library: string;
  /** Every npm package its script imports. */
  packages: readonly string[];
  /** Its script's file name in this directory (compiled: .js). */
  script: string;
}

/** The first of `packages` that does not resolve, or null when all do. */
export function missingPackage(
  packages: readonly string[],
  resolve: (name: string) => string = requireHere.resolve,
): string | null {
  for (const name of packages) {
    try {
      resolve(name);
    } catch {
      return name;
    }
  }
  return null;
}

/**
 * Why a Node.js proxy is left out of a scenario whose route asks for more than pass-through.
 * None of the three has a per-client quota or a hash-based selection policy; one written
 * here around the library would measure the harness's code, not the library.
 */
export function nodeProxyUnsupported(library: string, route: RouteShape): string | null {
  if (route.rateLimit) return `${library} has no per-client quota of its own`;
  if (route.consistentHash) return `${library} has no consistent-hash selection policy`;
  return null;
}

/** The settings file of a Node.js proxy script, from the harness's input. */
export function nodeProxySettings(input: ContenderInput): NodeProxySettings {
  return {
    port: input.port,
    upstreams: [...input.upstreams],
    workers: input.workers,
    connections: input.connections,
  };
}

/** The contender that runs `spec.script`; skipped while one of its packages is missing. */
export function nodeProxy(spec: NodeProxySpec): Contender {
  return {
    name: spec.name,
    unavailable: () => {
      const missing = missingPackage(spec.packages);
      return missing === null ? null : `${missing} is not installed: run npm install`;
    },
    unsupported: (route) => nodeProxyUnsupported(spec.library, route),
    start: async (input) => {
      const conf = join(input.dir, `${spec.name}.json`);
      writeFileSync(conf, `${JSON.stringify(nodeProxySettings(input), null, 2)}\n`);

      const args = [join(HERE, spec.script), conf];
      const opts = { cpus: input.cpus, prefix: input.launcher?.prefix };
      const proc = start(spec.name, process.execPath, args, `${conf}.log`, opts);
      const origin = `http://127.0.0.1:${input.port}`;
      await waitForHttp(`${origin}${input.probePath}`, proc, input.launcher?.readyTimeoutMs);
      return { name: spec.name, origin, pids: [proc.pid], stop: () => proc.stop() };
    },
  };
}

export const httpProxy = nodeProxy({
  name: 'http-proxy',
  library: 'http-proxy',
  packages: ['http-proxy'],
  script: 'http-proxy.js',
});

export const fastGateway = nodeProxy({
  name: 'fast-gateway',
  library: 'fast-gateway',
  packages: ['fast-gateway'],
  script: 'fast-gateway.js',
});

export const fastifyHttpProxy = nodeProxy({
  name: 'fastify-http-proxy',
  library: '@fastify/http-proxy',
  packages: ['fastify', '@fastify/http-proxy'],
  script: 'fastify-http-proxy.js',
});
