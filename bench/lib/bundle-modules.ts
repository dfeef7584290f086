/**
 * Maps a position in an esbuild bundle (dist/bin/*.mjs) back to the source module it came
 * from, using the `// path/to/module.ts` comment esbuild writes before each module. That lets
 * a CPU profile of the shipped binary say "node_modules/effect/.../fiberRuntime.js" or
 * "src/wire/frame.ts" instead of "chunk-JXHR34WM.mjs".
 */
import * as fs from "node:fs"
import { fileURLToPath } from "node:url"

const MODULE_MARKER = /^\/\/ ((?:src|actors|config|bench|node_modules)\/\S+)$/

interface Marker {
  /** 0-based line of the marker comment. */
  readonly line: number
  readonly module: string
}

const markersOf = (file: string): ReadonlyArray<Marker> => {
  let text: string
  try {
    text = fs.readFileSync(file, "utf8")
  } catch {
    return []
  }
  const markers: Array<Marker> = []
  text.split("\n").forEach((line, index) => {
    const match = MODULE_MARKER.exec(line)
    if (match !== null) markers.push({ line: index, module: match[1]! })
  })
  return markers
}

/** Strips a leading path up to node_modules/ or the repo's own top-level folders. */
const shortPath = (file: string): string => {
  const nodeModules = file.lastIndexOf("/node_modules/")
  if (nodeModules !== -1) return file.slice(nodeModules + 1)
  const own = /\/((?:src|actors|config|bench)\/.*)$/.exec(file)
  return own === null ? file : own[1]!
}

export class ModuleResolver {
  private readonly cache = new Map<string, ReadonlyArray<Marker>>()

  /** `line` is 0-based, as in a .cpuprofile callFrame. */
  resolve(url: string, line: number): string {
    if (url === "") return "(native)"
    if (!url.startsWith("file://")) return url
    const file = fileURLToPath(url)
    if (!file.endsWith(".mjs") || !file.includes("/bin/")) return shortPath(file)
    let markers = this.cache.get(file)
    if (markers === undefined) this.cache.set(file, markers = markersOf(file))
    // Last marker at or before the line: binary search over ascending lines.
    let low = 0
    let high = markers.length - 1
    let found: string | undefined
    while (low <= high) {
      const middle = (low + high) >> 1
      if (markers[middle]!.line <= line) {
        found = markers[middle]!.module
        low = middle + 1
      } else {
        high = middle - 1
      }
    }
    return found ?? shortPath(file)
  }
}
