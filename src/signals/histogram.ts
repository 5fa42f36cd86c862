import { createRequire } from 'node:module';
import type * as HdrLib from 'hdr-histogram-js';
import type { LatencyHistogram, LatencySummary } from './types.js';

// Values are recorded in microseconds (1 µs .. 5 minutes, 3 significant digits) and reported in ms.
// 32-bit counts in a plain typed array: merging, percentiles and encoding are 10-20x faster than the
// packed layout, which matters because the engine merges and reads histograms on every tick.
const LOWEST_US = 1;
const HIGHEST_US = 300_000_000;
const BUCKETS = 32;

type Hdr = ReturnType<typeof HdrLib.build>;
/** The parts of the library's JsHistogram the fast paths read (public in its JavaScript, not in its types). */
interface RawHdr {
  countsArrayLength: number;
  getCountAtIndex(index: number): number;
  countsArrayIndex(value: number): number;
  valueFromIndex(index: number): number;
  medianEquivalentValue(value: number): number;
}

let loaded: typeof HdrLib | undefined;
// Loaded with the first histogram, not at start-up: validating an experiment never builds one.
function hdrLib(): typeof HdrLib {
  loaded ??= createRequire(import.meta.url)('hdr-histogram-js') as typeof HdrLib;
  return loaded;
}

/** HDR histogram of latencies, mergeable and encodable, with the API speaking milliseconds. */
export class HdrLatencyHistogram implements LatencyHistogram {
  /** The largest latency the histograms hold (5 minutes); anything longer is recorded as this. */
  static readonly HIGHEST_MS = HIGHEST_US / 1000;
  readonly hdr: Hdr;

  constructor(from?: Hdr) {
    this.hdr =
      from ??
      hdrLib().build({
        lowestDiscernibleValue: LOWEST_US,
        highestTrackableValue: HIGHEST_US,
        numberOfSignificantValueDigits: 3,
        bitBucketSize: BUCKETS,
        autoResize: true,
        useWebAssembly: false,
      });
  }

  get count(): number {
    return this.hdr.totalCount;
  }

  record(ms: number): void {
    this.hdr.recordValue(toMicros(ms));
  }

  recordCorrected(ms: number, expectedIntervalMs: number): void {
    this.hdr.recordValueWithExpectedInterval(toMicros(ms), toMicros(expectedIntervalMs));
  }

  add(other: LatencyHistogram): void {
    if (!(other instanceof HdrLatencyHistogram)) throw new TypeError('can only add another HdrLatencyHistogram');
    this.hdr.add(other.hdr);
  }

  /** Removes `other`'s counts (turns cumulative snapshots into an interval). */
  subtract(other: HdrLatencyHistogram): void {
    this.hdr.subtract(other.hdr);
  }

  /** The value (ms) of rank k (1-based) in the sorted recorded values. */
  valueAtRank(k: number): number {
    if (this.count === 0) return 0;
    return this.hdr.getValueAtPercentile((100 * Math.min(Math.max(k, 1), this.count)) / this.count) / 1000;
  }

  percentile(p: number): number {
    return this.count === 0 ? 0 : this.hdr.getValueAtPercentile(p) / 1000;
  }

  /** How many recorded values exceed `ms` (the sequential latency test counts slow requests). */
  countAbove(ms: number): number {
    if (this.count === 0) return 0;
    // Every value in a bucket above the one `ms` falls in: the same count the library's iterator gives,
    // read straight from the counts array (the iterator costs milliseconds on a merged phase).
    const h = this.raw();
    let n = 0;
    for (let i = h.countsArrayIndex(toMicros(ms)) + 1; i < h.countsArrayLength; i++) n += h.getCountAtIndex(i);
    return n;
  }

  /**
   * The mean (ms), as the library computes it (each bucket's median equivalent value, weighted by its
   * count), in one pass over the counts array. The library's getter walks an iterator that allocates
   * per bucket: measured at 2-3.5 ms on a phase's merged histogram, and the engine reads the mean of
   * several such histograms on every tick, on the thread an embedded proxy also serves traffic on.
   */
  mean(): number {
    if (this.count === 0) return 0;
    const h = this.raw();
    let total = 0;
    for (let i = 0; i < h.countsArrayLength; i++) {
      const c = h.getCountAtIndex(i);
      if (c !== 0) total += h.medianEquivalentValue(h.valueFromIndex(i)) * c;
    }
    return total / this.count / 1000;
  }

  private raw(): RawHdr {
    return this.hdr as unknown as RawHdr;
  }

  summary(): LatencySummary {
    if (this.count === 0) return emptySummary();
    return {
      count: this.count,
      min: this.hdr.minNonZeroValue / 1000,
      max: this.hdr.maxValue / 1000,
      mean: this.mean(),
      p50: this.percentile(50),
      p90: this.percentile(90),
      p95: this.percentile(95),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
    };
  }

  reset(): void {
    this.hdr.reset();
  }

  destroy(): void {
    this.hdr.destroy();
  }

  clone(): HdrLatencyHistogram {
    const copy = new HdrLatencyHistogram();
    copy.hdr.add(this.hdr);
    return copy;
  }

  /** Compressed base64 (the HdrHistogram interchange format), for the proxy API and journals. */
  encode(): string {
    return hdrLib().encodeIntoCompressedBase64(this.hdr);
  }

  static decode(text: string): HdrLatencyHistogram {
    const decoded = hdrLib().decodeFromCompressedBase64(text, BUCKETS, false);
    const out = new HdrLatencyHistogram();
    out.hdr.add(decoded);
    decoded.destroy();
    return out;
  }
}

export function emptySummary(): LatencySummary {
  return { count: 0, min: 0, max: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0 };
}

export function createHistogram(): HdrLatencyHistogram {
  return new HdrLatencyHistogram();
}

function toMicros(ms: number): number {
  return Math.min(HIGHEST_US, Math.max(LOWEST_US, Math.round(ms * 1000)));
}
