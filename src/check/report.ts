/**
 * Human-readable output of the checker. The last line is always `linearizable: yes`,
 * `linearizable: NO` or `linearizable: unknown` (scripts grep for it).
 */
import type { CheckResult, Verdict } from "./checker.js"
import type { Operation } from "./history.js"
import type { BlockedOperation, IndexedOperation, Witness } from "./witness.js"

const show = (value: string | null | undefined): string =>
  value === undefined ? "?" : value === null ? "absent" : JSON.stringify(value)

const describe = (operation: Operation): string => {
  const key = JSON.stringify(operation.key)
  const outcome = operation.ok === null ? " (outcome unknown)" : operation.ok === false ? " (failed)" : ""
  switch (operation.op) {
    case "get":
      return `get ${key} -> ${operation.ok === true ? show(operation.output) : "?"}`
    case "put":
      return `put ${key} = ${show(operation.value)} -> old ${operation.ok === true ? show(operation.output) : "?"}${outcome}`
    case "del":
      return `del ${key} -> old ${operation.ok === true ? show(operation.output) : "?"}${outcome}`
    case "cas":
      return `cas ${key} ${show(operation.expect)} => ${show(operation.value)} -> ${operation.output ?? "?"}${outcome}`
  }
}

/** `op 12 (line 13) client 2: put "x" = "a" -> old absent  [call 10, ret 14]` */
export const formatOperation = ({ index, operation }: IndexedOperation): string => {
  const where = operation.line === undefined ? `op ${index + 1}` : `op ${index + 1} (line ${operation.line})`
  const ret = operation.ok === true ? String(operation.ret) : "?"
  return `${where} client ${operation.client}: ${describe(operation)}  [call ${operation.call}, ret ${ret}]`
}

const formatBlocked = (blocked: BlockedOperation): string => `${formatOperation(blocked)}\n        ${blocked.reason}`

export const formatWitness = (witness: Witness): string => {
  const earlier = witness.linearizedCount - witness.prefixTail.length
  const lines = [
    `key ${JSON.stringify(witness.key)} is not linearizable.`,
    `  The longest linearizable prefix orders ${witness.linearizedCount} of ${witness.operationsSearched} operations` +
    (witness.linearizedCount === 0 ? "." : `; it ends${earlier > 0 ? ` (after ${earlier} earlier)` : ""}:`),
    ...witness.prefixTail.map((op) => `    ${formatOperation(op)}`),
    `  leaving the value ${show(witness.valueAfterPrefix)}. None of these can come next:`,
    ...witness.blocked.map((op) => `    ${formatBlocked(op)}`)
  ]
  return lines.join("\n")
}

const verdictLine = (verdict: Verdict): string =>
  `linearizable: ${verdict === "yes" ? "yes" : verdict === "no" ? "NO" : "unknown"}`

const count = (result: CheckResult, verdict: Verdict): number =>
  result.perKey.filter((key) => key.verdict === verdict).length

export const formatReport = (result: CheckResult): string => {
  const droppedUnknownWrites = result.perKey.reduce((sum, key) => sum + key.droppedUnknownWrites, 0)
  const lines = [
    `checked ${result.operations} operations on ${result.perKey.length} keys: ` +
    `${count(result, "yes")} linearizable, ${count(result, "no")} not, ${count(result, "unknown")} unknown`,
    `ignored: ${result.failedDropped} failed (ok: false), ${result.unknownReadsDropped} reads of unknown outcome, ` +
    `${droppedUnknownWrites} unknown writes nobody observed`
  ]
  if (result.firstMalformed !== undefined) {
    lines.push(`malformed (dropped): ${result.malformed}; first: op ${result.firstMalformed.index + 1}: ${result.firstMalformed.problem}`)
  }
  for (const key of result.perKey) {
    if (key.verdict === "unknown") lines.push(`key ${JSON.stringify(key.key)}: unknown (${key.reason ?? "budget"})`)
  }
  if (result.witness !== undefined) lines.push(formatWitness(result.witness))
  lines.push(`stale reads: ${result.staleReads}`, verdictLine(result.verdict))
  return lines.join("\n")
}
