import { describe, expect, it } from "@effect/vitest"
import { filenameProblem } from "../../src/transfer/filename.js"

describe("filenameProblem", () => {
  it.each(["file1.jpg", "resume.txt", "a b", "ünïcødé", ".hidden", "x.y.z"])("accepts %j", (name) => {
    expect(filenameProblem(name, 255)).toBeUndefined()
  })
  it.each([
    ["", "empty"],
    ["..", ".."],
    ["a..b", ".."],
    ["../etc/passwd", ".."],
    ["dir/file", "separator"],
    ["/abs", "separator"],
    ["c:\\x", "separator"],
    ["bell\u0007", "control"],
    ["line\nbreak", "control"],
    ["del\u007f", "control"],
    ["c1\u0085", "control"],
    [".", `"."`],
    [".troupe-partial-1-2", "reserved"],
    ["x".repeat(256), "limit"]
  ])("refuses %j", (name, reason) => {
    expect(filenameProblem(name, 255)).toContain(reason)
  })
  it("counts bytes, not characters", () => {
    expect(filenameProblem("é".repeat(128), 255)).toContain("256 bytes")
  })
})
