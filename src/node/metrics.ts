/**
 * A node's metrics, rendered as Prometheus text on `/metrics`. Counters, gauges read on demand,
 * and latency histograms with fixed buckets. Plain mutable numbers: they are written from one
 * JavaScript thread, and reading them never needs to be atomic with anything else.
 */
const LATENCY_BUCKETS_MS = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000]

class Histogram {
  readonly counts = new Array<number>(LATENCY_BUCKETS_MS.length).fill(0)
  count = 0
  sumMs = 0
  observe(ms: number): void {
    this.count++
    this.sumMs += ms
    for (let bucket = 0; bucket < LATENCY_BUCKETS_MS.length; bucket++) {
      if (ms > LATENCY_BUCKETS_MS[bucket]!) continue
      this.counts[bucket]!++
      return
    }
  }
}

type Labels = Readonly<Record<string, string>>

const labelText = (labels: Labels): string => {
  const parts = Object.entries(labels).map(([key, value]) => `${key}="${value.replace(/["\\\n]/g, "_")}"`)
  return parts.length === 0 ? "" : `{${parts.join(",")}}`
}

/** Renders plain counters (name -> value) as Prometheus counter lines. */
export const counterLines = (prefix: string, help: string, values: Readonly<Record<string, number>>): string =>
  Object.entries(values)
    .filter(([, value]) => typeof value === "number")
    .map(([name, value]) => {
      const metric = `${prefix}_${name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)}`
      return `# HELP ${metric} ${help}: ${name}\n# TYPE ${metric} counter\n${metric} ${value}\n`
    })
    .join("")

export class Metrics {
  private readonly counters = new Map<string, { help: string; values: Map<string, number> }>()
  private readonly histograms = new Map<string, { help: string; values: Map<string, Histogram> }>()
  private readonly gauges = new Map<string, { help: string; read: () => number }>()

  inc(name: string, help: string, labels: Labels = {}, by = 1): void {
    this.counterFor(name, help, labels)(by)
  }

  /** The counter with these labels as a function: the label text is built once (hot paths). */
  counterFor(name: string, help: string, labels: Labels = {}): (by?: number) => void {
    let family = this.counters.get(name)
    if (family === undefined) this.counters.set(name, family = { help, values: new Map() })
    const values = family.values
    const key = labelText(labels)
    if (!values.has(key)) values.set(key, 0)
    return (by = 1) => {
      values.set(key, values.get(key)! + by)
    }
  }

  observeMs(name: string, help: string, ms: number, labels: Labels = {}): void {
    this.histogramFor(name, help, labels)(ms)
  }

  /** The histogram with these labels as a function (see counterFor). */
  histogramFor(name: string, help: string, labels: Labels = {}): (ms: number) => void {
    let family = this.histograms.get(name)
    if (family === undefined) this.histograms.set(name, family = { help, values: new Map() })
    const key = labelText(labels)
    let histogram = family.values.get(key)
    if (histogram === undefined) family.values.set(key, histogram = new Histogram())
    const target = histogram
    return (ms) => target.observe(ms)
  }

  gauge(name: string, help: string, read: () => number): void {
    this.gauges.set(name, { help, read })
  }

  counter(name: string, labels: Labels = {}): number {
    return this.counters.get(name)?.values.get(labelText(labels)) ?? 0
  }

  render(): string {
    const lines: Array<string> = []
    for (const [name, family] of this.counters) {
      lines.push(`# HELP ${name} ${family.help}`, `# TYPE ${name} counter`)
      for (const [labels, value] of family.values) lines.push(`${name}${labels} ${value}`)
    }
    for (const [name, gauge] of this.gauges) {
      lines.push(`# HELP ${name} ${gauge.help}`, `# TYPE ${name} gauge`, `${name} ${gauge.read()}`)
    }
    for (const [name, family] of this.histograms) {
      lines.push(`# HELP ${name} ${family.help}`, `# TYPE ${name} histogram`)
      for (const [labels, histogram] of family.values) {
        const inner = labels === "" ? "" : labels.slice(1, -1) + ","
        let cumulative = 0
        LATENCY_BUCKETS_MS.forEach((limit, index) => {
          cumulative += histogram.counts[index]!
          lines.push(`${name}_bucket{${inner}le="${limit / 1000}"} ${cumulative}`)
        })
        lines.push(`${name}_bucket{${inner}le="+Inf"} ${histogram.count}`)
        lines.push(`${name}_sum${labels} ${histogram.sumMs / 1000}`, `${name}_count${labels} ${histogram.count}`)
      }
    }
    return lines.join("\n") + "\n"
  }
}
