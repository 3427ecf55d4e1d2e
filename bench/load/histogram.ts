// HDR histograms of latency in microseconds, shared by the undici generator's threads and the
// thread that merges their results.
import hdr from 'hdr-histogram-js';
import { CURVE_PERCENTILES, type Curve } from '../stats.js';

/** 3 significant digits from 1 µs up, growing as needed (a stall of minutes still fits). */
export function newHistogram(): hdr.Histogram {
  return hdr.build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
}

export function encodeHistogram(h: hdr.Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/** Adds the encoded histograms of several threads into one. */
export function mergeHistograms(encoded: readonly string[]): hdr.Histogram {
  const total = newHistogram();
  for (const e of encoded) total.add(hdr.decodeFromCompressedBase64(e, 32, false));
  return total;
}

/** The curve at the standard percentiles; 0 is the fastest response, 100 the slowest. */
export function curveOf(h: hdr.Histogram): Curve {
  if (h.totalCount === 0) return CURVE_PERCENTILES.map((p) => [p, 0]);
  return CURVE_PERCENTILES.map((p) => {
    if (p === 0) return [p, h.minNonZeroValue];
    if (p === 100) return [p, h.maxValue];
    return [p, h.getValueAtPercentile(p)];
  });
}
