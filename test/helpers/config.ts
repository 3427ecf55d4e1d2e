// Builders for the parts of a Jetway config the tests write again and again. The result is a
// plain object that `startDaemon` writes as the config file; keys follow ts/config/schema.ts.
import type { ScriptedUpstream } from './upstream.js';

type Obj = Record<string, unknown>;

/** A cluster over scripted upstreams (or raw `host:port` strings); `extra` adds any key. */
export function cluster(
  name: string,
  upstreams: Array<ScriptedUpstream | string>,
  extra: Obj = {},
) {
  return {
    name,
    upstreams: upstreams.map((u) => ({ address: typeof u === 'string' ? u : u.address })),
    ...extra,
  };
}

/** A route to `clusterName`; `match` as in the config (host, path, prefix, template, ...). */
export function route(clusterName: string, match: Obj = {}, extra: Obj = {}) {
  return { match, cluster: clusterName, ...extra };
}

/** Passive checks off, so a test about something else never sees an ejection. */
export const NO_PASSIVE = { passive: { max_failures: 0 } };

/** Short timeouts for tests that expect one to fire. */
export function timeouts(t: { connect?: string; header?: string; idle?: string; total?: string }) {
  return { connect: '2s', header: '2s', idle: '2s', total: 0, ...t };
}
