/**
 * Wire compatibility with Lab01 peers, both ways, using reference peers written from the lab
 * text in Python (test/transfer/fixtures), run as real processes on loopback.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { tempDirMaker } from "../support/temp-dir.js"
import { Effect } from "effect"
import { defaultConfig } from "../../src/config/load.js"
import { DatagramLive } from "../../src/net/datagram.js"
import { folderSink } from "../../src/transfer/folder-sink.js"
import { makeReceiver } from "../../src/transfer/receiver.js"
import { sendFile } from "../../src/transfer/sender.js"

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures")
const hasPython = spawnSync("python3", ["--version"]).status === 0
if (!hasPython) console.warn("SKIPPED: Lab01 interop tests need python3 on PATH")
const config = defaultConfig()

const tempDir = tempDirMaker("troupe-interop-")

/** Runs a process for the scope; killed by its pid on release. */
const spawnScoped = (args: ReadonlyArray<string>) =>
  Effect.acquireRelease(
    Effect.sync(() => spawn("python3", args, { stdio: ["ignore", "pipe", "pipe"] })),
    (child) => Effect.sync(() => child.exitCode === null && child.kill("SIGKILL"))
  )

const outputOf = (child: ChildProcess) =>
  Effect.async<{ code: number | null; stdout: string }>((resume) => {
    let stdout = ""
    child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    child.on("exit", (code) => resume(Effect.succeed({ code, stdout })))
  })

const readyPort = (child: ChildProcess) =>
  Effect.async<number, Error>((resume) => {
    let text = ""
    child.stdout?.on("data", (chunk: Buffer) => {
      text += chunk.toString()
      const match = /READY (\d+)/.exec(text)
      if (match !== null) resume(Effect.succeed(Number(match[1])))
    })
    child.on("exit", (code) => resume(Effect.fail(new Error(`lab_server exited with ${code}`))))
  })

describe.skipIf(!hasPython)("Lab01 interop", () => {
  it.live("the lab client sends to our receiver (including a zero-byte file)", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const out = path.join(dir, "out")
      fs.mkdirSync(out)
      const receiver = yield* makeReceiver({ host: "127.0.0.1", port: 0, sink: folderSink(out), config })
      for (const size of [100_000, 0, 3000]) {
        const input = path.join(dir, `in-${size}`)
        fs.writeFileSync(input, crypto.randomBytes(size))
        const client = yield* spawnScoped([path.join(fixtures, "lab_client.py"), `127.0.0.1:${receiver.port}`, input, `lab-${size}.bin`])
        const { code, stdout } = yield* outputOf(client)
        expect(code, stdout).toBe(0)
        expect(fs.readFileSync(path.join(out, `lab-${size}.bin`)).equals(fs.readFileSync(input))).toBe(true)
      }
      expect(yield* receiver.stats).toMatchObject({ completed: 3, malformed: 0 })
    }).pipe(Effect.scoped, Effect.provide(DatagramLive)), 30_000)

  it.live("our sender sends to the lab server; a windowed request falls back to stop-and-wait", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const server = yield* spawnScoped([path.join(fixtures, "lab_server.py"), "0", dir])
      const port = yield* readyPort(server)
      for (const [index, windowed] of [false, true].entries()) {
        const input = path.join(dir, `in-${index}`)
        fs.writeFileSync(input, crypto.randomBytes(70_000 + index))
        const result = yield* sendFile({ host: "127.0.0.1", port, localPath: input, remoteName: `ours-${index}.bin`, config, windowed })
        expect(result).toMatchObject({ window: 1, bufSize: 1024 })
        expect(fs.readFileSync(path.join(dir, `ours-${index}.bin`)).equals(fs.readFileSync(input))).toBe(true)
      }
    }).pipe(Effect.scoped, Effect.provide(DatagramLive)), 30_000)
})
