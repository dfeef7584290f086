/**
 * Validation of user input against `config.compute` limits, on the calling thread, so that
 * malformed or oversized input is a typed `BadInput` error and never occupies a worker.
 */
import { Either } from "effect"
import type { TroupeConfig } from "../../config/schema.js"
import { badInput, type ComputeError } from "./errors.js"

export type ComputeLimits = Pick<TroupeConfig["compute"], "maxNumberDigits" | "maxTextBytes">

const INTEGER = /^[+-]?\d+$/
const encoder = new TextEncoder()

const quote = (text: string): string => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text)

/** A decimal integer of at most `maxNumberDigits` digits (sign and surrounding blanks allowed). */
export const parseInteger = (text: string, limits: ComputeLimits): Either.Either<bigint, ComputeError> => {
  // Checked before the regex so that a huge input costs no more than its length.
  if (text.length > limits.maxNumberDigits + 64) {
    return Either.left(badInput(`number too long: ${text.length} characters, the limit is ${limits.maxNumberDigits} digits`))
  }
  const trimmed = text.trim()
  if (!INTEGER.test(trimmed)) return Either.left(badInput(`${quote(trimmed)} is not an integer`))
  const digits = trimmed.replace(/^[+-]/, "").replace(/^0+(?=\d)/, "").length
  if (digits > limits.maxNumberDigits) {
    return Either.left(badInput(`number too long: ${digits} digits, the limit is ${limits.maxNumberDigits}`))
  }
  return Either.right(BigInt(trimmed))
}

/** A text of at most `maxTextBytes` bytes of UTF-8. */
export const checkText = (text: string, limits: ComputeLimits, what = "text"): Either.Either<string, ComputeError> => {
  // A UTF-16 code unit is 1 to 3 UTF-8 bytes: only encode when the cheap bounds cannot decide.
  if (text.length > limits.maxTextBytes) {
    return Either.left(badInput(`${what} too long: over ${limits.maxTextBytes} bytes, the limit`))
  }
  if (text.length * 3 > limits.maxTextBytes) {
    const bytes = encoder.encode(text).byteLength
    if (bytes > limits.maxTextBytes) {
      return Either.left(badInput(`${what} too long: ${bytes} bytes, the limit is ${limits.maxTextBytes}`))
    }
  }
  return Either.right(text)
}
