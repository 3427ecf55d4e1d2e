// Reads and validates a config file. A bad file is refused with one line per
// problem: file, key path, what is wrong, the value received.
import { accessSync, constants, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { createReferenceHotPath } from '../hotpath/reference/index.js';
import { normalizeOptions, routeSpec } from './compile.js';
import { configSchema, type Config } from './schema.js';

export class ConfigError extends Error {
  readonly code = 'JETWAY_CONFIG_INVALID';

  constructor(
    readonly file: string,
    readonly problems: string[],
    heading = 'invalid config',
  ) {
    super(`${file}: ${heading}\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Loads `file`, or throws ConfigError naming every problem found. */
export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // `ENOENT: no such file or directory, open '...'`: the reason without the path again.
    const reason = e.code === undefined ? String(err) : e.message.split(',')[0];
    throw new ConfigError(file, [`cannot read the file: ${reason}`], 'cannot read config');
  }
  return parseConfig(text, file);
}

/** Parses YAML text; `file` is only used in messages. */
export function parseConfig(text: string, file = '<config>'): Config {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => `line ${e.linePos?.[0].line ?? '?'}: ${e.message.split('\n')[0]}`),
    );
  }
  const raw: unknown = doc.toJS();
  const result = configSchema.safeParse(raw ?? {});
  // Checked on the raw file too, so one run names every problem, not only the first kind.
  const references = referenceProblems(raw);
  if (!result.success || references.length > 0) {
    const shape = result.success ? [] : result.error.issues.map((i) => describe(i, raw));
    throw new ConfigError(file, [...shape, ...references]);
  }
  const problems = [
    ...resolveFiles(result.data, dirname(file)),
    ...compileProblems(result.data),
    ...portProblems(result.data),
  ];
  if (problems.length > 0) throw new ConfigError(file, problems);
  return result.data;
}

/** Names that must agree across the file: unique cluster names, routes naming a cluster. */
function referenceProblems(raw: unknown): string[] {
  const list = (key: string): unknown[] => {
    const v = (raw as Record<string, unknown> | null)?.[key];
    return Array.isArray(v) ? v : [];
  };
  const field = (item: unknown, key: string): unknown =>
    item !== null && typeof item === 'object' ? (item as Record<string, unknown>)[key] : undefined;
  const names = list('clusters').map((c) => field(c, 'name'));
  const known = names.filter((n): n is string => typeof n === 'string');
  const problems: string[] = [];
  names.forEach((name, i) => {
    if (
      typeof name === 'string' &&
      known.indexOf(name) !== known.lastIndexOf(name) &&
      names.indexOf(name) !== i
    ) {
      problems.push(`clusters[${i}].name: duplicate cluster "${name}" (got "${name}")`);
    }
  });
  list('routes').forEach((route, i) => {
    const cluster = field(route, 'cluster');
    if (typeof cluster === 'string' && !known.includes(cluster)) {
      const got = `(got ${JSON.stringify(cluster)})`;
      problems.push(
        `routes[${i}].cluster: unknown cluster "${cluster}" (known: ${known.join(', ')}) ${got}`,
      );
    }
  });
  return problems;
}

/**
 * What only compiling shows: CIDR ranges and route patterns are checked by the same code the
 * workers run (the reference hot path agrees with the Rust core on every golden vector), so a
 * file that validates also starts.
 */
function compileProblems(config: Config): string[] {
  const hotpath = createReferenceHotPath();
  const problems: string[] = [];
  try {
    hotpath.compileCidrs(config.trusted_proxies);
  } catch (err) {
    problems.push(`trusted_proxies${(err as Error).message.replace(/^ranges/, '')}`);
  }
  try {
    hotpath.compileRouter(config.routes.map(routeSpec), normalizeOptions(config));
  } catch (err) {
    // The router names its own fields; put them back into the file's terms.
    const message = (err as Error).message
      .replace(/\.path\.exact:/, '.match.path:')
      .replace(/\.path\.(prefix|template):/, '.match.$1:')
      .replace(/^(routes\[\d+\])\.(host|methods|headers)/, '$1.match.$2');
    problems.push(message);
  }
  return problems;
}

/** Two listeners, or a listener and the admin listener, on one address and port. */
function portProblems(config: Config): string[] {
  const seen = new Map<string, string>();
  const problems: string[] = [];
  const claim = (key: string, address: string, port: number): void => {
    if (port === 0) return;
    const where = `${address}:${port}`;
    const wildcard = [`0.0.0.0:${port}`, `:::${port}`].find((w) => seen.has(w) && w !== where);
    const clash = seen.get(where) ?? (wildcard ? seen.get(wildcard) : undefined);
    if (clash !== undefined) problems.push(`${key}: ${where} is already used by ${clash}`);
    else seen.set(where, key);
  };
  config.listeners.forEach((l, i) => claim(`listeners[${i}]`, l.address, l.port));
  claim('admin', config.admin.address, config.admin.port);
  return problems;
}

/** Makes certificate paths absolute (relative to the config file) and checks they can be read. */
function resolveFiles(config: Config, dir: string): string[] {
  const problems: string[] = [];
  config.listeners.forEach((l, i) => {
    if (!l.tls) return;
    for (const key of ['cert_file', 'key_file'] as const) {
      const path = resolve(dir, l.tls[key]);
      try {
        accessSync(path, constants.R_OK);
        l.tls[key] = path;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
        problems.push(`listeners[${i}].tls.${key}: cannot read (${code}) (got "${l.tls[key]}")`);
      }
    }
  });
  return problems;
}

function describe(issue: z.core.$ZodIssue, raw: unknown): string {
  const where = keyPath(issue.path);
  const value = valueAt(raw, issue.path);
  const got = value === undefined ? 'missing' : `got ${preview(value)}`;
  const range = rangeProblem(issue);
  if (range !== null) return `${where}: ${range} (${got})`;
  if (issue.code === 'unrecognized_keys') {
    const known = acceptedKeys(issue.path);
    const accepted = known === null ? '' : ` (accepted: ${known.join(', ')})`;
    return `${where}: unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}${accepted}`;
  }
  return `${where}: ${issue.message} (${got})`;
}

/** A number out of range or not whole, said with what is accepted; null for other issues. */
function rangeProblem(issue: z.core.$ZodIssue): string | null {
  if (issue.code === 'too_big' && issue.origin === 'number') {
    return `too large (accepted: ${issue.inclusive ? 'at most' : 'below'} ${issue.maximum})`;
  }
  if (issue.code === 'too_small' && issue.origin === 'number') {
    return `too small (accepted: ${issue.inclusive ? 'at least' : 'above'} ${issue.minimum})`;
  }
  if (issue.code === 'invalid_type' && issue.expected === 'int') {
    return 'not a whole number (accepted: whole numbers)';
  }
  return null;
}

/** The keys the schema accepts in the object at `path`, or null when it is not one object. */
function acceptedKeys(path: readonly PropertyKey[]): string[] | null {
  let schema = unwrap(configSchema);
  for (const p of path) {
    const def = schema?._zod.def as { type: string; shape?: ShapeOf; element?: Schema };
    if (def === undefined) return null;
    if (def.type === 'array' && typeof p === 'number') schema = unwrap(def.element);
    else if (def.type === 'object' && typeof p === 'string') schema = unwrap(def.shape?.[p]);
    else return null;
  }
  const def = schema?._zod.def as { type: string; shape?: ShapeOf } | undefined;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : null;
}

type Schema = z.core.$ZodType;
type ShapeOf = Record<string, Schema>;

/** `schema` without the defaults, optionals and transforms around it. */
function unwrap(schema: Schema | undefined): Schema | undefined {
  let s = schema;
  for (;;) {
    const def = s?._zod.def as { type: string; innerType?: Schema; in?: Schema } | undefined;
    if (def === undefined) return undefined;
    if (def.innerType !== undefined) s = def.innerType;
    else if (def.type === 'pipe' && def.in !== undefined) s = def.in;
    else return s;
  }
}

/** `routes[3].match.host` from ['routes', 3, 'match', 'host']. */
export function keyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(top level)';
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v = raw;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function preview(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
