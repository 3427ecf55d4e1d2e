// How config sections become hot-path inputs; shared by the workers' runtime and by the
// loader, which compiles once at load so a file that validates also starts.
import type { NormalizeOptions, RouteSpec } from '../hotpath/types.js';
import type { Config, RouteConfig } from './schema.js';

export function normalizeOptions(config: Config): NormalizeOptions {
  return {
    allowEncodedSlash: config.path.allow_encoded_slash,
    allowBackslash: config.path.allow_backslash,
    mergeSlashes: config.path.merge_slashes,
  };
}

/** The router's view of one route; a route without a path match matches every path. */
export function routeSpec(r: RouteConfig): RouteSpec {
  const m = r.match;
  const path =
    m.path !== undefined
      ? { exact: m.path }
      : m.template !== undefined
        ? { template: m.template }
        : { prefix: m.prefix ?? '/' };
  const headers = Object.entries(m.headers ?? {}).map(
    ([k, v]) => [k.toLowerCase(), v] as [string, string],
  );
  return { host: m.host, path, methods: m.methods ?? [], headers };
}
