/**
 * A fixed-size latency histogram (log buckets, ~1% relative error) so a load run of any
 * length records every sample in bounded memory. Values are microseconds.
 */

/** Bucket width as a ratio: 1% keeps p99 honest without storing samples. */
const GROWTH = 1.01
/** Anything slower than a minute lands in the last bucket. */
const MAX_MICROS = 60_000_000
const BUCKET_COUNT = Math.ceil(Math.log(MAX_MICROS) / Math.log(GROWTH)) + 1

export interface Histogram {
  readonly buckets: Array<number>
  count: number
  maxMicros: number
}

export const makeHistogram = (): Histogram => ({ buckets: new Array<number>(BUCKET_COUNT).fill(0), count: 0, maxMicros: 0 })

const bucketOf = (micros: number): number =>
  micros <= 1 ? 0 : Math.min(BUCKET_COUNT - 1, Math.floor(Math.log(micros) / Math.log(GROWTH)))

export const record = (histogram: Histogram, micros: number): void => {
  const index = bucketOf(micros)
  histogram.buckets[index] = (histogram.buckets[index] ?? 0) + 1
  histogram.count++
  if (micros > histogram.maxMicros) histogram.maxMicros = micros
}

/** Merges `from` into `into` (both from makeHistogram, e.g. one per connection group). */
export const merge = (into: Histogram, from: Pick<Histogram, "buckets" | "count" | "maxMicros">): void => {
  from.buckets.forEach((n, i) => {
    into.buckets[i] = (into.buckets[i] ?? 0) + n
  })
  into.count += from.count
  into.maxMicros = Math.max(into.maxMicros, from.maxMicros)
}

/** The value at quantile q (0..1), as the upper edge of its bucket; 0 for an empty histogram. */
export const quantileMicros = (histogram: Histogram, q: number): number => {
  if (histogram.count === 0) return 0
  const rank = Math.ceil(q * histogram.count)
  let seen = 0
  for (let i = 0; i < histogram.buckets.length; i++) {
    seen += histogram.buckets[i] ?? 0
    if (seen >= rank) return Math.min(histogram.maxMicros, Math.pow(GROWTH, i + 1))
  }
  return histogram.maxMicros
}
