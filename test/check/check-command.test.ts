/** `troupe check` end to end on real files in a temp folder. */
import { Command } from "@effect/cli"
import { NodeContext } from "@effect/platform-node"
import { afterAll, beforeAll, describe, expect, it, vi } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { defaultCheckLimits } from "../../src/check/limits.js"
import { checkCommand, runCheck } from "../../src/cli/check-command.js"

let folder = ""
const write = (name: string, lines: ReadonlyArray<object | string>): string => {
  const file = path.join(folder, name)
  fs.writeFileSync(file, lines.map((line) => typeof line === "string" ? line : JSON.stringify(line)).join("\n") + "\n")
  return file
}

const putA = { client: 1, op: "put", key: "x", value: "a", output: null, call: 0, ret: 1, ok: true }
const readA = { client: 2, op: "get", key: "x", output: "a", call: 2, ret: 3, ok: true }
const readNothing = { client: 2, op: "get", key: "x", output: null, call: 2, ret: 3, ok: true }
const unknownPut = { client: 3, op: "put", key: "y", value: "b", call: 0, ret: null, ok: null }

beforeAll(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), "troupe-check-"))
})
afterAll(() => {
  fs.rmSync(folder, { recursive: true, force: true })
})

const lastLine = (report: string): string => report.split("\n").at(-1) ?? ""

describe("runCheck", () => {
  it.effect("exit 0 and `linearizable: yes` for a linearizable history", () =>
    Effect.gen(function*() {
      const run = yield* runCheck(write("good.jsonl", [putA, readA, unknownPut]))
      expect(run.exitCode).toBe(0)
      expect(lastLine(run.report)).toBe("linearizable: yes")
    }).pipe(Effect.provide(NodeContext.layer)))

  it.effect("exit 1 and `linearizable: NO` with the witness, naming file lines", () =>
    Effect.gen(function*() {
      const run = yield* runCheck(write("bad.jsonl", [putA, "", readNothing]))
      expect(run.exitCode).toBe(1)
      expect(lastLine(run.report)).toBe("linearizable: NO")
      expect(run.report).toContain(`op 2 (line 3) client 2: get "x" -> absent  [call 2, ret 3]`)
      expect(run.report).toContain(`read absent but the value is "a"`)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.effect("exit 2 and `linearizable: unknown` when the search budget runs out", () =>
    Effect.gen(function*() {
      const run = yield* runCheck(write("hard.jsonl", [putA, readNothing]), { ...defaultCheckLimits(), maxStepsPerKey: 1 })
      expect(run.exitCode).toBe(2)
      expect(lastLine(run.report)).toBe("linearizable: unknown")
    }).pipe(Effect.provide(NodeContext.layer)))

  it.effect("exit 2 with the line number for a malformed history", () =>
    Effect.gen(function*() {
      const run = yield* runCheck(write("malformed.jsonl", [putA, `{"op":"get"`]))
      expect(run.exitCode).toBe(2)
      expect(run.report).toMatch(/^ERROR: .*malformed\.jsonl: line 2: not valid JSON/)
      expect(lastLine(run.report)).toBe("linearizable: unknown")
    }).pipe(Effect.provide(NodeContext.layer)))

  it.effect("exit 2 for a missing or too large file", () =>
    Effect.gen(function*() {
      const missing = yield* runCheck(path.join(folder, "missing.jsonl"))
      expect(missing.exitCode).toBe(2)
      expect(missing.report).toMatch(/^ERROR: cannot read/)
      const large = yield* runCheck(write("large.jsonl", [putA, readA]), { ...defaultCheckLimits(), maxHistoryBytes: 10 })
      expect(large.report).toMatch(/larger than 10 bytes/)
      expect(large.exitCode).toBe(2)
    }).pipe(Effect.provide(NodeContext.layer)))
})

describe("checkCommand", () => {
  // Wired the way the lead wires it: a subcommand of `troupe`.
  const troupe = Command.make("troupe").pipe(Command.withSubcommands([checkCommand]))
  const cli = Command.run(troupe, { name: "troupe", version: "test" })

  it.effect("prints the report and sets process.exitCode", () =>
    Effect.gen(function*() {
      const printed: Array<string> = []
      const log = vi.spyOn(console, "log").mockImplementation((...args: Array<unknown>) => {
        printed.push(args.map(String).join(" "))
      })
      const exitCodeBefore = process.exitCode
      try {
        yield* cli(["node", "troupe", "check", write("cli-bad.jsonl", [putA, readNothing])])
        expect(process.exitCode).toBe(1)
        yield* cli(["node", "troupe", "check", "--max-steps", "1", write("cli-budget.jsonl", [putA, readNothing])])
        expect(process.exitCode).toBe(2)
      } finally {
        process.exitCode = exitCodeBefore
        log.mockRestore()
      }
      expect(lastLine(printed.join("\n"))).toBe("linearizable: unknown")
      expect(printed.join("\n")).toContain("linearizable: NO")
    }).pipe(Effect.provide(NodeContext.layer)))
})
