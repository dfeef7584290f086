/** Test helpers for real worker threads (which run on real time, not TestClock). */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { build } from "esbuild"
import { Duration, Effect, Schedule } from "effect"

/**
 * Bundles a TypeScript worker entry into one .mjs file in a temp dir. A worker loading plain
 * JS starts in tens of milliseconds instead of seconds through tsx, which keeps deadlines in
 * these tests short; it is also the shape of the compiled/bundled production entry. One file per
 * entry in one folder, replaced by a rename: test files bundling the same entry at once each
 * load a whole file, and runs do not pile up folders.
 */
export const bundleWorkerEntry = async (entry: URL): Promise<URL> => {
  const dir = path.join(os.tmpdir(), "troupe-test-workers")
  fs.mkdirSync(dir, { recursive: true })
  const name = path.basename(fileURLToPath(entry), ".ts")
  const outfile = path.join(dir, `${name}-${createHash("sha256").update(entry.href).digest("hex").slice(0, 12)}.mjs`)
  const temp = `${outfile}.${process.pid}.tmp`
  await build({ entryPoints: [fileURLToPath(entry)], bundle: true, format: "esm", platform: "node", outfile: temp, logLevel: "error" })
  fs.renameSync(temp, outfile)
  return pathToFileURL(outfile)
}

/** Polls `probe` every 10 ms until `done` holds; fails after `within` so no wait is unbounded. */
export const waitUntil = <A, E, R>(probe: Effect.Effect<A, E, R>, done: (value: A) => boolean, within: Duration.DurationInput = "10 seconds") =>
  probe.pipe(
    Effect.repeat({ until: done, schedule: Schedule.spaced("10 millis") }),
    Effect.timeoutFail({ duration: within, onTimeout: () => new Error(`condition not met within ${Duration.format(Duration.decode(within))}`) })
  )
