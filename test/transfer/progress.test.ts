import { describe, expect, it } from "@effect/vitest"
import { formatBar, formatLine, progressReporter } from "../../src/transfer/progress.js"

describe("progress", () => {
  it("draws a bar with percentage, rate and ETA", () => {
    expect(formatBar({ ackedBytes: 2_000_000, totalBytes: 4_000_000, elapsedMs: 1000 })).toBe(`[${"#".repeat(15)}${"-".repeat(15)}]  50%  2.0 MB/s  ETA 1s`)
    expect(formatBar({ ackedBytes: 0, totalBytes: 10, elapsedMs: 0 })).toContain("ETA ?")
    expect(formatBar({ ackedBytes: 0, totalBytes: 0, elapsedMs: 0 })).toContain("100%")
  })

  it("writes a redrawn bar on a terminal and plain lines otherwise", () => {
    const written: Array<string> = []
    const terminal = progressReporter({ isTTY: true, write: (text) => written.push(text) })
    terminal.onProgress({ ackedBytes: 5, totalBytes: 10, elapsedMs: 1000 })
    terminal.finish()
    expect(written).toEqual([`\r${formatBar({ ackedBytes: 5, totalBytes: 10, elapsedMs: 1000 })}`, "\n"])
    const lines: Array<string> = []
    const plain = progressReporter({ isTTY: false, write: (text) => lines.push(text) })
    plain.onProgress({ ackedBytes: 5, totalBytes: 10, elapsedMs: 1000 })
    plain.finish()
    expect(lines).toEqual([`${formatLine({ ackedBytes: 5, totalBytes: 10, elapsedMs: 1000 })}\n`])
    expect(lines[0]).toBe("sent 5/10 bytes (50%) 0.0 MB/s\n")
    expect(plain.everyMs).toBeGreaterThan(terminal.everyMs)
  })
})
