/**
 * The history format: JSON Lines, one client operation per line, e.g.
 *   {"client":1,"op":"put","key":"x","value":"a","output":null,"call":10,"ret":14,"ok":true}
 *
 * `put`/`del` output the old value (null = none; a missing `output` = not observed); `get`
 * outputs the value read; `cas` outputs "true"/"false". `ok` is true (completed), false
 * (definitely no effect) or null (unknown; `ret` may be null). Unknown fields are ignored so
 * histories from other tools (extra `index`, `process`, ...) load unchanged.
 */
import { Data, Either, ParseResult, Schema } from "effect"
import { type CheckLimits, defaultCheckLimits } from "./limits.js"
import { decodeUnknownTotal } from "../wire/total-decode.js"

const Time = Schema.Finite

export const HistoryOperation = Schema.Struct({
  client: Schema.Union(Schema.String, Schema.Finite),
  op: Schema.Literal("get", "put", "del", "cas"),
  key: Schema.String,
  value: Schema.optional(Schema.NullOr(Schema.String)),
  expect: Schema.optional(Schema.NullOr(Schema.String)),
  output: Schema.optional(Schema.NullOr(Schema.String)),
  call: Time,
  ret: Schema.optional(Schema.NullOr(Time)),
  ok: Schema.NullOr(Schema.Boolean)
})

/** One operation of a history; `line` (1-based) is set by `parseHistory` for messages. */
export type Operation = typeof HistoryOperation.Type & { readonly line?: number }
export type OperationKind = Operation["op"]

export class HistoryParseError extends Data.TaggedError("HistoryParseError")<{
  readonly line: number
  readonly problem: string
}> {
  override get message(): string {
    return `line ${this.line}: ${this.problem}`
  }
}

const tooLong = (what: string, text: string | null | undefined, max: number): string | undefined =>
  typeof text === "string" && text.length > max ? `${what} longer than ${max} characters` : undefined

const timingProblem = (op: Operation): string | undefined => {
  const ret = op.ret ?? null
  if (ret === null) return op.ok === true ? "a completed operation (ok: true) needs a numeric ret" : undefined
  return ret < op.call ? `ret ${ret} is before call ${op.call}` : undefined
}

const shapeProblem = (op: Operation): string | undefined => {
  switch (op.op) {
    case "get":
      return op.ok === true && op.output === undefined ? "a completed get needs an output (null = absent)" : undefined
    case "put":
      return typeof op.value === "string" ? undefined : "put needs a string value"
    case "del":
      return op.value === undefined || op.value === null ? undefined : "del takes no value"
    case "cas":
      if (typeof op.value !== "string") return "cas needs a string value"
      if (op.expect === undefined) return "cas needs expect (null = key absent)"
      return op.ok === true && op.output !== "true" && op.output !== "false"
        ? `a completed cas needs output "true" or "false"`
        : undefined
  }
}

/** Why an operation cannot be checked (inconsistent fields, over a limit), or undefined. */
export const operationProblem = (op: Operation, limits: CheckLimits): string | undefined =>
  tooLong("key", op.key, limits.maxKeyLength) ??
    tooLong("value", op.value, limits.maxValueLength) ??
    tooLong("expect", op.expect, limits.maxValueLength) ??
    tooLong("output", op.output, limits.maxValueLength) ??
    timingProblem(op) ??
    shapeProblem(op)

const decodeOperation = decodeUnknownTotal(HistoryOperation)

const isFinite = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value)
const isOptionalText = (value: unknown): value is string | null | undefined =>
  value === undefined || value === null || typeof value === "string"
const operationKinds: ReadonlySet<unknown> = new Set(["get", "put", "del", "cas"])

/**
 * Exactly `Schema.is(HistoryOperation)`, written out: the generic decoder costs ~15 us a line,
 * too slow for million-line histories. The schema still decodes whatever this refuses, so the
 * error messages are the schema's (a test checks the two agree).
 */
export const isHistoryOperation = (json: unknown): json is typeof HistoryOperation.Type => {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return false
  const o = json as Record<string, unknown>
  return (typeof o.client === "string" || isFinite(o.client)) &&
    operationKinds.has(o.op) &&
    typeof o.key === "string" &&
    isOptionalText(o.value) && isOptionalText(o.expect) && isOptionalText(o.output) &&
    isFinite(o.call) &&
    (o.ret === undefined || o.ret === null || isFinite(o.ret)) &&
    (o.ok === null || typeof o.ok === "boolean")
}

/** The known fields only, as the schema's decoder would return them. */
const knownFields = (o: typeof HistoryOperation.Type, line: number): Operation => {
  const operation: { -readonly [K in keyof Operation]: Operation[K] } = { client: o.client, op: o.op, key: o.key, call: o.call, ok: o.ok, line }
  if (o.value !== undefined) operation.value = o.value
  if (o.expect !== undefined) operation.expect = o.expect
  if (o.output !== undefined) operation.output = o.output
  if (o.ret !== undefined) operation.ret = o.ret
  return operation
}

const parseLine = (text: string, line: number, limits: CheckLimits): Either.Either<Operation, HistoryParseError> => {
  if (text.length > limits.maxLineChars) {
    return Either.left(new HistoryParseError({ line, problem: `longer than ${limits.maxLineChars} characters` }))
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    return Either.left(new HistoryParseError({ line, problem: `not valid JSON: ${(error as Error).message}` }))
  }
  const decoded = isHistoryOperation(json) ? Either.right(json) : decodeOperation(json)
  if (Either.isLeft(decoded)) {
    const problem = ParseResult.TreeFormatter.formatErrorSync(decoded.left).replace(/\s*\n\s*/g, " ")
    return Either.left(new HistoryParseError({ line, problem }))
  }
  const operation = knownFields(decoded.right, line)
  const problem = operationProblem(operation, limits)
  return problem === undefined ? Either.right(operation) : Either.left(new HistoryParseError({ line, problem }))
}

/**
 * Parses a JSON Lines history. Blank lines are skipped; the first bad line fails the whole
 * parse with its line number (a checker must not silently judge a different history).
 */
export const parseHistory = (
  text: string,
  limits: CheckLimits = defaultCheckLimits()
): Either.Either<ReadonlyArray<Operation>, HistoryParseError> => {
  const operations: Array<Operation> = []
  const lines = text.split("\n")
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index] ?? ""
    if (raw.trim() === "") continue
    if (operations.length >= limits.maxOperations) {
      return Either.left(new HistoryParseError({ line: index + 1, problem: `more than ${limits.maxOperations} operations` }))
    }
    const parsed = parseLine(raw, index + 1, limits)
    if (Either.isLeft(parsed)) return Either.left(parsed.left)
    operations.push(parsed.right)
  }
  return Either.right(operations)
}
