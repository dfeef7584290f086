/**
 * Summarizes a V8 .cpuprofile (node --cpu-prof): self and inclusive time per function, self
 * time per category (HTTP parsing, Effect runtime, Schema, HMAC, WAL, GC, ...) and inclusive
 * time per troupe source module, and the call chains into one function. Frames of the shipped
 * bundle are mapped back to their source modules (bundle-modules.ts). Also a CLI:
 * `node --import tsx bench/lib/cpuprofile.ts FILE.cpuprofile [--top N] [--callers FUNCTION_NAME]`.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { ModuleResolver } from "./bundle-modules.js"
import { categoryOf, IDLE } from "./profile-categories.js"

interface CallFrame {
  readonly functionName: string
  readonly url: string
  readonly lineNumber: number
}

interface ProfileNode {
  readonly id: number
  readonly callFrame: CallFrame
  readonly children?: ReadonlyArray<number>
}

export interface CpuProfile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly startTime: number
  readonly endTime: number
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

/** Only samples in [fromUs, toUs] of the profile's clock count (e.g. the load phase). */
export interface ProfileWindow {
  readonly fromUs: number
  readonly toUs: number
}

export interface Cost {
  readonly label: string
  readonly ms: number
  /** Share of busy (non-idle) time. */
  readonly percent: number
}

export interface ProfileSummary {
  readonly windowMs: number
  readonly busyMs: number
  readonly idleMs: number
  readonly topSelf: ReadonlyArray<Cost>
  readonly topInclusive: ReadonlyArray<Cost>
  readonly categories: ReadonlyArray<Cost>
  readonly modulesInclusive: ReadonlyArray<Cost>
}

interface FrameInfo {
  readonly functionKey: string
  readonly module: string
  readonly category: string
  readonly parent: number | undefined
}

const frameInfos = (profile: CpuProfile, resolver: ModuleResolver): Map<number, FrameInfo> => {
  const parents = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id)
  const infos = new Map<number, FrameInfo>()
  for (const node of profile.nodes) {
    const { functionName, lineNumber, url } = node.callFrame
    const module = resolver.resolve(url, lineNumber)
    const name = functionName === "" ? "(anonymous)" : functionName
    // In a bundle the line is the bundle's, so name the file too: "(chunk-X.mjs:123)".
    const where = url.startsWith("file://") && url.endsWith(".mjs") ? `${module} (${path.basename(url)}:${lineNumber + 1})` : `${module}:${lineNumber + 1}`
    const functionKey = url === "" ? name : `${name} ${where}`
    infos.set(node.id, { functionKey, module, category: categoryOf(name, module), parent: parents.get(node.id) })
  }
  return infos
}

const add = (totals: Map<string, number>, key: string, us: number) => totals.set(key, (totals.get(key) ?? 0) + us)

const ranked = (totals: Map<string, number>, busyUs: number, top: number): ReadonlyArray<Cost> =>
  [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([label, us]) => ({ label, ms: us / 1000, percent: busyUs === 0 ? 0 : (100 * us) / busyUs }))

/** Microseconds each sample stands for: the gap to the next sample (the last reuses its own). */
const sampleWeights = (profile: CpuProfile): Array<number> =>
  profile.samples.map((_, i) => Math.max(0, profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0))

export const summarize = (profile: CpuProfile, options: { readonly top: number; readonly window?: ProfileWindow }): ProfileSummary => {
  const infos = frameInfos(profile, new ModuleResolver())
  const weights = sampleWeights(profile)
  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  const categories = new Map<string, number>()
  const modules = new Map<string, number>()
  let busyUs = 0
  let idleUs = 0
  let at = profile.startTime
  profile.samples.forEach((nodeId, i) => {
    at += profile.timeDeltas[i] ?? 0
    if (options.window !== undefined && (at < options.window.fromUs || at > options.window.toUs)) return
    const us = weights[i]!
    const leaf = infos.get(nodeId)
    if (leaf === undefined) return
    if (leaf.category === IDLE) {
      idleUs += us
      return
    }
    busyUs += us
    add(self, leaf.functionKey, us)
    add(categories, leaf.category, us)
    // A recursive function is on the stack many times but costs its time once.
    const seenFunctions = new Set<string>()
    const seenModules = new Set<string>()
    for (let id: number | undefined = nodeId, depth = 0; id !== undefined && depth < 10_000; depth++) {
      const frame: FrameInfo | undefined = infos.get(id)
      if (frame === undefined) break
      seenFunctions.add(frame.functionKey)
      if (/^(src|actors)\//.test(frame.module)) seenModules.add(frame.module)
      id = frame.parent
    }
    seenFunctions.forEach((key) => add(inclusive, key, us))
    seenModules.forEach((key) => add(modules, key, us))
  })
  inclusive.delete("(root)")
  return {
    windowMs: (busyUs + idleUs) / 1000,
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    topSelf: ranked(self, busyUs, options.top),
    topInclusive: ranked(inclusive, busyUs, options.top),
    categories: ranked(categories, busyUs, Number.MAX_SAFE_INTEGER),
    modulesInclusive: ranked(modules, busyUs, options.top)
  }
}

const costLines = (title: string, costs: ReadonlyArray<Cost>): Array<string> => [
  title,
  ...costs.map((cost) => `  ${cost.percent.toFixed(1).padStart(5)}%  ${cost.ms.toFixed(0).padStart(7)} ms  ${cost.label}`)
]

export const formatSummary = (summary: ProfileSummary): string =>
  [
    `window ${summary.windowMs.toFixed(0)} ms: busy ${summary.busyMs.toFixed(0)} ms, idle ${summary.idleMs.toFixed(0)} ms` +
    ` (${summary.windowMs === 0 ? 0 : ((100 * summary.busyMs) / summary.windowMs).toFixed(0)}% of one core); percentages are of busy time`,
    ...costLines("self time by category:", summary.categories),
    ...costLines("top self time:", summary.topSelf),
    ...costLines("top inclusive time:", summary.topInclusive),
    ...costLines("inclusive time by troupe module (JS stack only: work an Effect fiber resumes from the scheduler is not charged to the module that started it):", summary.modulesInclusive)
  ].join("\n")

/** Profiles are megabytes, not gigabytes; refuse anything absurd rather than exhaust memory. */
const MAX_PROFILE_BYTES = 512 * 1024 * 1024

export const readProfile = (file: string): CpuProfile => {
  const size = fs.statSync(file).size
  if (size > MAX_PROFILE_BYTES) throw new Error(`${file}: ${size} bytes is over the ${MAX_PROFILE_BYTES}-byte limit`)
  return JSON.parse(fs.readFileSync(file, "utf8")) as CpuProfile
}

/** The call chains (up to `depth` callers) that lead to `functionName`, by self time of its samples. */
export const callersOf = (profile: CpuProfile, functionName: string, depth: number, top: number): ReadonlyArray<Cost> => {
  const infos = frameInfos(profile, new ModuleResolver())
  const names = new Map(profile.nodes.map((node) => [node.id, node.callFrame.functionName || "(anonymous)"]))
  const weights = sampleWeights(profile)
  const chains = new Map<string, number>()
  let busyUs = 0
  profile.samples.forEach((nodeId, i) => {
    const leaf = infos.get(nodeId)
    if (leaf === undefined || leaf.category === IDLE) return
    busyUs += weights[i]!
    if (names.get(nodeId) !== functionName) return
    const chain: Array<string> = []
    for (let id = leaf.parent; id !== undefined && chain.length < depth; id = infos.get(id)?.parent) chain.push(names.get(id) ?? "?")
    add(chains, chain.join(" < "), weights[i]!)
  })
  return ranked(chains, busyUs, top)
}

const USAGE = "usage: node --import tsx bench/lib/cpuprofile.ts FILE.cpuprofile [--top N] [--callers FUNCTION_NAME]"

const runCli = (args: ReadonlyArray<string>) => {
  const [file, ...flags] = args
  const flag = (name: string) => {
    const at = flags.indexOf(name)
    return at === -1 ? undefined : flags[at + 1]
  }
  const top = Number(flag("--top") ?? 25)
  if (file === undefined || !Number.isInteger(top) || top < 1) {
    console.error(USAGE)
    process.exitCode = 2
    return
  }
  const profile = readProfile(file)
  const callers = flag("--callers")
  console.log(callers === undefined
    ? formatSummary(summarize(profile, { top }))
    : costLines(`callers of ${callers} (percent of busy time):`, callersOf(profile, callers, 8, top)).join("\n"))
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href
if (isMain) runCli(process.argv.slice(2))
