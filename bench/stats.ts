// The numbers the tables show: percentile curves, medians over rounds and ratios between
// contenders. Pure functions, so the maths is tested without running any load.

/** Percentiles every generator reports; the HTML curves are drawn through these points. */
export const CURVE_PERCENTILES = [
  0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100,
] as const;

/** A latency curve: [percentile, latency in microseconds], percentiles ascending. */
export type Curve = Array<[number, number]>;

/** The outcome of one measured run of one contender. */
export interface RoundResult {
  round: number;
  generator: 'undici' | 'wrk';
  requests: number;
  durationMs: number;
  /** Socket errors, timeouts and requests an open loop could not send. */
  errors: number;
  /** The same errors by kind. */
  errorKinds: Record<string, number>;
  /** Responses with a status of 400 or more. */
  badStatus: number;
  bytes: number;
  curve: Curve;
  /** Proxy CPU (user + system, all its processes) per request; null for direct. */
  cpuUsPerRequest: number | null;
  /** The upstream's CPU per request, to show what the ceiling itself costs. */
  upstreamCpuUsPerRequest: number | null;
  /** Largest resident set of the proxy's processes seen during the run. */
  rssMaxKb: number | null;
  /** Open loop: how far the generator itself fell behind its schedule. */
  generatorLate?: { share: number; maxMs: number };
}

/** Medians over the rounds of one contender in one scenario. */
export interface Summary {
  rounds: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  /** Errors and bad statuses summed over all rounds (not a median: any is worth seeing). */
  errors: number;
  /** The errors by kind, summed over all rounds. */
  errorKinds: Record<string, number>;
  cpuUsPerRequest: number | null;
  upstreamCpuUsPerRequest: number | null;
  rssMaxMb: number | null;
  curve: Curve;
}

/** The median; the mean of the middle two for an even count; NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The median of the values that are present; null when none is. */
export function medianOrNull(values: ReadonlyArray<number | null>): number | null {
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return present.length === 0 ? null : median(present);
}

/** a / b, or null when either is missing or b is not a positive number. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined) return null;
  if (!Number.isFinite(a) || !Number.isFinite(b) || b <= 0) return null;
  return a / b;
}

/** Instructions per request of one batch; null when the batch had no requests. */
export function perRequest(instructions: number, requests: number): number | null {
  return requests > 0 && instructions >= 0 ? instructions / requests : null;
}

/**
 * How far the figures of one contender's batches disagree: (largest − smallest) / median.
 * 0 for a single figure; null for none.
 */
export function spread(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const mid = median(values);
  return mid > 0 ? (Math.max(...values) - Math.min(...values)) / mid : null;
}

/** Requests per second of a run. */
export function throughput(requests: number, durationMs: number): number {
  return durationMs > 0 ? (requests * 1000) / durationMs : 0;
}

/** CPU microseconds per request from a clock-tick delta (ticks are 1/clkTck seconds). */
export function cpuUsPerRequest(ticks: number, clkTck: number, requests: number): number | null {
  if (requests <= 0 || clkTck <= 0 || ticks < 0) return null;
  return (ticks * 1e6) / clkTck / requests;
}

/**
 * The latency at percentile `p` of a curve: the first point at or above `p`. A curve holds
 * the percentiles it was asked for, so a missing one reads as the next larger point.
 */
export function valueAt(curve: Curve, p: number): number {
  for (const [q, v] of curve) if (q >= p) return v;
  return curve.length > 0 ? curve[curve.length - 1][1] : NaN;
}

/** The point-wise median of curves that share their percentiles. */
export function medianCurve(curves: readonly Curve[]): Curve {
  if (curves.length === 0) return [];
  return curves[0].map(([p], i) => [p, median(curves.map((c) => c[i]?.[1] ?? NaN))]);
}

/** Adds counts by kind: {a: 1} and {a: 2, b: 1} make {a: 3, b: 1}. */
export function addCounts(counts: ReadonlyArray<Record<string, number>>): Record<string, number> {
  const total: Record<string, number> = {};
  for (const c of counts) for (const [k, n] of Object.entries(c)) total[k] = (total[k] ?? 0) + n;
  return total;
}

/** Medians over rounds; throughput and latencies each take their own median. */
export function summarize(rounds: readonly RoundResult[]): Summary {
  const curve = medianCurve(rounds.map((r) => r.curve));
  const rss = medianOrNull(rounds.map((r) => r.rssMaxKb));
  return {
    rounds: rounds.length,
    rps: median(rounds.map((r) => throughput(r.requests, r.durationMs))),
    p50: median(rounds.map((r) => valueAt(r.curve, 50))),
    p90: median(rounds.map((r) => valueAt(r.curve, 90))),
    p99: median(rounds.map((r) => valueAt(r.curve, 99))),
    p999: median(rounds.map((r) => valueAt(r.curve, 99.9))),
    max: median(rounds.map((r) => valueAt(r.curve, 100))),
    errors: rounds.reduce((n, r) => n + r.errors + r.badStatus, 0),
    errorKinds: addCounts(rounds.map((r) => r.errorKinds)),
    cpuUsPerRequest: medianOrNull(rounds.map((r) => r.cpuUsPerRequest)),
    upstreamCpuUsPerRequest: medianOrNull(rounds.map((r) => r.upstreamCpuUsPerRequest)),
    rssMaxMb: rss === null ? null : rss / 1024,
    curve,
  };
}

/**
 * A warning when an open-loop generator fell behind its own schedule in any round (more than
 * `maxShare` of the requests left late): its latencies then measure the machine, not the
 * contenders. Null when every round kept time.
 */
export function generatorLateNote(rounds: readonly RoundResult[], maxShare = 0.01): string | null {
  const late = rounds.map((r) => r.generatorLate).filter((g) => g !== undefined);
  const worst = Math.max(0, ...late.map((g) => g.share));
  if (worst <= maxShare) return null;
  const maxMs = Math.max(...late.map((g) => g.maxMs));
  return (
    `the generator fell behind its schedule (up to ${(worst * 100).toFixed(0)}% of requests ` +
    `left late, by up to ${Math.round(maxMs)} ms): the machine was too busy for these ` +
    "open-loop latencies to be the contenders' alone"
  );
}

/**
 * The order contenders run in during `round`: rotated by one each round, so none is always
 * first (after a quiet machine) or always last (after the others warmed the upstream).
 */
export function roundOrder<T>(items: readonly T[], round: number): T[] {
  if (items.length === 0) return [];
  const k = round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
