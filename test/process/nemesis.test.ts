/**
 * The nemesis smoke (what CI runs): ~20 s of real processes, clients and faults, then the
 * checker. Through `troupe nemesis` when the built CLI has the subcommand, else in-process
 * with the same code. Needs `npm run build`.
 */
import { describe, expect, it } from "@effect/vitest"
import * as childProcess from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Console, Effect } from "effect"
import { defaultConfig } from "../../src/config/load.js"
import { runNemesis } from "../../src/nemesis/run.js"
import { defaultSettings } from "../../src/nemesis/settings.js"
import { binDir, built, notBuiltMessage } from "../support/process-cluster.js"

if (!built) console.warn(`test/process/nemesis.test.ts ${notBuiltMessage}`)

const durationSeconds = 20
/** Start-up on a loaded 2-core machine, the run, the check, the shutdown. */
const testTimeoutMs = 240_000

const runCli = (args: ReadonlyArray<string>, timeoutMs: number) =>
  new Promise<{ code: number | null; stdout: string }>((resolve) => {
    const child = childProcess.execFile(process.execPath, [path.join(binDir, "troupe.mjs"), ...args],
      { timeout: timeoutMs, killSignal: "SIGINT", maxBuffer: 16 << 20 }, (_, stdout) => resolve({ code: child.exitCode, stdout: String(stdout) }))
  })

/** @effect/cli answers `--help` of an unknown subcommand with the root help: look for our own option. */
const cliHasNemesis = async () => {
  const help = await runCli(["nemesis", "--help"], 60_000)
  return help.code === 0 && help.stdout.includes("--faults")
}

const expectOutputs = (outDir: string) => {
  for (const file of ["history.jsonl", "summary.json", "timeline.svg", "report.txt"]) {
    expect(fs.existsSync(path.join(outDir, file)), file).toBe(true)
  }
  const summary = JSON.parse(fs.readFileSync(path.join(outDir, "summary.json"), "utf8")) as {
    check: { verdict: string; operations: number }
    impacts: ReadonlyArray<unknown>
  }
  expect(summary.check.verdict).toBe("yes")
  expect(summary.check.operations).toBeGreaterThan(20)
  expect(summary.impacts.length).toBeGreaterThanOrEqual(2)
  const history = fs.readFileSync(path.join(outDir, "history.jsonl"), "utf8").trim().split("\n")
  expect(history.length).toBe(summary.check.operations)
  expect(fs.readFileSync(path.join(outDir, "timeline.svg"), "utf8")).toMatch(/^<svg[\s\S]*<\/svg>\n$/)
}

describe.skipIf(!built)("nemesis smoke", () => {
  it.live(`runs ${durationSeconds} s of kill, pause and partition faults and finds the history linearizable`, () =>
    Effect.gen(function*() {
      const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "troupe-nemesis-test-"))
      try {
        if (yield* Effect.promise(cliHasNemesis)) {
          const args = ["nemesis", "--duration", String(durationSeconds), "--faults", "kill,pause,partition", "--out", outDir]
          const run = yield* Effect.promise(() => runCli(args, testTimeoutMs - 10_000))
          console.log(run.stdout)
          expect(run.stdout.trim().split("\n").at(-1)).toBe("linearizable: yes")
          expect(run.code).toBe(0)
        } else {
          console.warn("`troupe nemesis` is not in the built CLI yet; running the nemesis in-process")
          const outcome = yield* Effect.scoped(runNemesis({
            settings: defaultSettings({ durationMs: durationSeconds * 1000 }),
            config: defaultConfig(),
            binDir,
            outDir,
            log: (line) => Console.log(`nemesis: ${line}`),
            installIptables: false
          }))
          console.log(outcome.report)
          expect(outcome.report.split("\n").at(-1)).toBe("linearizable: yes")
          expect(outcome.exitCode).toBe(0)
        }
        expectOutputs(outDir)
      } finally {
        fs.rmSync(outDir, { recursive: true, force: true })
      }
    }), testTimeoutMs)
})
