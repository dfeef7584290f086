/**
 * The node binary the bench runs: a copy of dist/bin taken at start, so a rebuild during the
 * run (or a failover round's restart) never mixes two versions. Warns when dist/ is older than
 * the sources it was built from.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { BenchError } from "./errors.js"

/** Enough for this repo's sources; stops a walk into something unexpected. */
const MAX_FILES_CHECKED = 20_000

const newestMtimeMs = (dir: string): number => {
  let newest = 0
  let checked = 0
  const stack = [dir]
  while (stack.length > 0 && checked < MAX_FILES_CHECKED) {
    const current = stack.pop()!
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name)
      if (entry.isDirectory()) stack.push(full)
      else newest = Math.max(newest, fs.statSync(full).mtimeMs)
      checked++
    }
  }
  return newest
}

export interface BinarySnapshot {
  readonly binDir: string
  /** Set when some source file is newer than the build. */
  readonly staleWarning: string | undefined
}

export const snapshotBinary = (repoRoot: string, workDir: string): BinarySnapshot => {
  const built = path.join(repoRoot, "dist", "bin")
  const entry = path.join(built, "troupe.mjs")
  if (!fs.existsSync(entry)) throw new BenchError({ reason: `${entry} is missing: run \`npm run build\` first` })
  const binDir = path.join(workDir, "bin")
  fs.cpSync(built, binDir, { recursive: true })
  const builtAt = fs.statSync(entry).mtimeMs
  const sourcesAt = Math.max(...["src", "actors", "config"].map((dir) => {
    const full = path.join(repoRoot, dir)
    return fs.existsSync(full) ? newestMtimeMs(full) : 0
  }))
  const staleWarning = sourcesAt > builtAt
    ? `warning: sources changed ${((sourcesAt - builtAt) / 1000).toFixed(0)} s after dist/bin was built; run \`npm run build\` for current numbers`
    : undefined
  return { binDir, staleWarning }
}
