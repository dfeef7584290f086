/**
 * The run as a picture a person can open: one row per client, each operation a bar from call
 * to return (green read, blue write, grey failed, orange outcome unknown), faults shaded across
 * all rows, operations named by the checker's witness outlined in red. Pure: records in, SVG
 * text out; the number of bars drawn is bounded.
 */
import type { Operation } from "../check/history.js"
import type { ExecutedFault } from "./analysis.js"

export interface TimelineInput {
  readonly operations: ReadonlyArray<Operation>
  readonly faults: ReadonlyArray<ExecutedFault>
  /** Indices into `operations` that the checker blamed. */
  readonly violations: ReadonlySet<number>
  readonly durationMs: number
  readonly title: string
  readonly maxBars?: number
}

const width = 1200
const left = 90
const right = 20
const top = 50
const rowHeight = 22
const barHeight = 14
const defaultMaxBars = 20_000

const escape = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

const faultColor = { kill: "#d62728", pause: "#9467bd", partition: "#8c564b" } as const

const barColor = (op: Operation): string =>
  op.ok === false ? "#999999" : op.ok === null ? "#ff9f1c" : op.op === "get" ? "#2ca02c" : "#1f77b4"

/** A pixel of gap so back-to-back operations of one client stay apart; never thinner than 1 px. */
const barWidth = (from: number, to: number): number => Math.max(1, to - from - 1)

const tickEveryMs = (durationMs: number): number => {
  const candidates = [1_000, 2_000, 5_000, 10_000, 30_000, 60_000, 300_000]
  return candidates.find((step) => durationMs / step <= 20) ?? 600_000
}

export const renderTimeline = (input: TimelineInput): string => {
  const clients = [...new Set(input.operations.map((op) => String(op.client)))].sort()
  const height = top + clients.length * rowHeight + 60
  const span = Math.max(1, input.durationMs)
  const x = (ms: number) => left + (Math.min(Math.max(ms, 0), span) / span) * (width - left - right)
  const rowOf = new Map(clients.map((client, index) => [client, index]))
  const parts: Array<string> = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="18" font-size="14">${escape(input.title)}</text>`
  ]
  for (const fault of input.faults) {
    const color = fault.skipped === undefined ? faultColor[fault.kind] : "#cccccc"
    const label = `${fault.kind} ${fault.node ?? ""}${fault.skipped === undefined ? "" : " (skipped)"}`
    parts.push(
      `<rect x="${x(fault.startMs)}" y="${top - 12}" width="${Math.max(1, x(fault.endMs) - x(fault.startMs))}" ` +
        `height="${clients.length * rowHeight + 12}" fill="${color}" fill-opacity="0.15"><title>${escape(label)}</title></rect>`,
      `<text x="${x(fault.startMs) + 2}" y="${top - 2}" fill="${color}">${escape(label)}</text>`
    )
  }
  clients.forEach((client, index) =>
    parts.push(`<text x="4" y="${top + index * rowHeight + barHeight}">${escape(client)}</text>`))
  const maxBars = input.maxBars ?? defaultMaxBars
  let drawn = 0
  input.operations.forEach((op, index) => {
    const blamed = input.violations.has(index)
    if (drawn >= maxBars && !blamed) return
    drawn++
    const row = rowOf.get(String(op.client)) ?? 0
    const end = typeof op.ret === "number" ? op.ret : input.durationMs
    const outline = blamed ? ` stroke="red" stroke-width="2"` : ""
    const tip = `${op.op} ${op.key}${op.value === undefined ? "" : `=${op.value}`} -> ${op.ok === true ? String(op.output ?? "NIL") : op.ok === false ? "failed" : "unknown"}`
    parts.push(
      `<rect x="${x(op.call).toFixed(1)}" y="${top + row * rowHeight}" width="${barWidth(x(op.call), x(end)).toFixed(1)}" ` +
        `height="${barHeight}" fill="${barColor(op)}"${outline}><title>${escape(tip)}</title></rect>`
    )
    if (blamed) parts.push(`<text x="${x(op.call)}" y="${top + row * rowHeight - 1}" fill="red" font-weight="bold">✗</text>`)
  })
  const axisY = top + clients.length * rowHeight + 12
  parts.push(`<line x1="${left}" y1="${axisY}" x2="${width - right}" y2="${axisY}" stroke="black"/>`)
  const step = tickEveryMs(span)
  for (let ms = 0; ms <= span; ms += step) {
    parts.push(`<line x1="${x(ms)}" y1="${axisY}" x2="${x(ms)}" y2="${axisY + 4}" stroke="black"/>`,
      `<text x="${x(ms) - 6}" y="${axisY + 16}">${ms / 1000}s</text>`)
  }
  const omitted = input.operations.length - drawn
  const legend = `green read · blue write · grey failed · orange unknown · red outline: checker's witness` +
    (omitted > 0 ? ` · ${omitted} operations not drawn (limit ${maxBars})` : "")
  parts.push(`<text x="${left}" y="${axisY + 36}">${escape(legend)}</text>`, "</svg>")
  return parts.join("\n") + "\n"
}
