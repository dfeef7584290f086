/** Test helpers for real worker threads (which run on real time, not TestClock). */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { build } from "esbuild"
import { Duration, Effect, Schedule } from "effect"

/**
 * Bundles a TypeScript worker entry into one .mjs file in a temp dir. A worker loading plain
 * JS starts in tens of milliseconds instead of seconds through tsx, which keeps deadlines in
 * these tests short; it is also the shape of the compiled/bundled production entry.
 */
export const bundleWorkerEntry = async (entry: URL): Promise<URL> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "troupe-worker-"))
  const outfile = path.join(dir, "worker.mjs")
  await build({ entryPoints: [fileURLToPath(entry)], bundle: true, format: "esm", platform: "node", outfile, logLevel: "error" })
  return pathToFileURL(outfile)
}

/** Polls `probe` every 10 ms until `done` holds; fails after `within` so no wait is unbounded. */
export const waitUntil = <A, E, R>(probe: Effect.Effect<A, E, R>, done: (value: A) => boolean, within: Duration.DurationInput = "10 seconds") =>
  probe.pipe(
    Effect.repeat({ until: done, schedule: Schedule.spaced("10 millis") }),
    Effect.timeoutFail({ duration: within, onTimeout: () => new Error(`condition not met within ${Duration.format(Duration.decode(within))}`) })
  )
