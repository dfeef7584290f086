/**
 * File names accepted by every Storage layer: flat (no folders), so a caller can never reach
 * outside the storage folder, and never starting with "." (reserved for temp files of
 * `writeAtomic`).
 */
const MAX_NAME_LENGTH = 200
const VALID_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/

/** Undefined if `name` is acceptable, else the reason it is not. */
export const invalidNameReason = (name: string): string | undefined => {
  if (name.length === 0) return "empty file name"
  if (name.length > MAX_NAME_LENGTH) return `file name longer than ${MAX_NAME_LENGTH} characters`
  if (name.includes("..")) return `file name "${name}" contains ".."`
  if (!VALID_NAME.test(name)) return `file name "${name}" must be flat: letters, digits, "_", "-", "." (not first)`
  return undefined
}

/** Prefixes for `list` follow the same alphabet but may be empty. */
export const invalidPrefixReason = (prefix: string): string | undefined =>
  prefix === "" ? undefined : invalidNameReason(prefix)
