import type { KvRequest } from "./commands.js"

/**
 * Key and value rules of the KV contract (DESIGN.md item 2): keys 1..maxKeyLength printable
 * characters, values 0..maxValueLength printable characters, neither with `[` or `]`; a key
 * cannot hold `=` (it separates key and value in `GET /KEY=VALUE`).
 */
export interface KvLimits {
  readonly maxKeyLength: number
  readonly maxValueLength: number
}

// Control characters (C0, DEL, C1) are not printable; everything else is, including non-ASCII.
const NOT_PRINTABLE = /[\u0000-\u001f\u007f-\u009f]/

const characterProblem = (what: string, text: string): string | undefined => {
  if (NOT_PRINTABLE.test(text)) return `${what} has a non-printable character`
  if (text.includes("[") || text.includes("]")) return `${what} must not contain [ or ]`
  return undefined
}

/**
 * Characters (code points) in `text` if more than `limit`, else undefined. UTF-16 length bounds
 * the count from above, so the common case needs no counting (this runs for every request).
 */
const charactersOver = (text: string, limit: number): number | undefined => {
  if (text.length <= limit) return undefined
  let characters = 0
  for (const _ of text) characters++
  return characters > limit ? characters : undefined
}

/** The problem with a key, or undefined if it is valid. */
export const keyProblem = (key: string, limits: KvLimits): string | undefined => {
  if (key.length === 0) return "key is empty"
  const length = charactersOver(key, limits.maxKeyLength)
  if (length !== undefined) return `key is ${length} characters long; the limit is ${limits.maxKeyLength}`
  if (key.includes("=")) return "key must not contain ="
  return characterProblem("key", key)
}

/** The problem with a value, or undefined if it is valid. */
export const valueProblem = (value: string, limits: KvLimits): string | undefined => {
  const length = charactersOver(value, limits.maxValueLength)
  if (length !== undefined) return `value is ${length} characters long; the limit is ${limits.maxValueLength}`
  return characterProblem("value", value)
}

/** The problem with a request's keys and values (every door checks this), or undefined. */
export const requestProblem = (request: KvRequest, limits: KvLimits): string | undefined => {
  if (request._tag === "size" || request._tag === "verify") return undefined
  if (request._tag === "keys") return request.prefix.length > limits.maxKeyLength ? "prefix is too long" : undefined
  const keyIssue = keyProblem(request.key, limits)
  if (keyIssue !== undefined) return keyIssue
  const values = request._tag === "put" ? [request.value] : request._tag === "cas" ? [request.expect, request.value] : []
  for (const value of values) {
    const valueIssue = value === null ? undefined : valueProblem(value, limits)
    if (valueIssue !== undefined) return valueIssue
  }
  return undefined
}
