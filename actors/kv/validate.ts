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

/** The problem with a key, or undefined if it is valid. */
export const keyProblem = (key: string, limits: KvLimits): string | undefined => {
  if (key.length === 0) return "key is empty"
  const length = [...key].length
  if (length > limits.maxKeyLength) return `key is ${length} characters long; the limit is ${limits.maxKeyLength}`
  if (key.includes("=")) return "key must not contain ="
  return characterProblem("key", key)
}

/** The problem with a value, or undefined if it is valid. */
export const valueProblem = (value: string, limits: KvLimits): string | undefined => {
  const length = [...value].length
  if (length > limits.maxValueLength) {
    return `value is ${length} characters long; the limit is ${limits.maxValueLength}`
  }
  return characterProblem("value", value)
}
