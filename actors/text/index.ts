/** The `text` actor (Lab04): reverse a text, split a text. */
import { Schema } from "effect"

export const ReverseRequest = Schema.Struct({ text: Schema.String })
export type ReverseRequest = typeof ReverseRequest.Type

export const ReverseResponse = Schema.Struct({ text: Schema.String })
export type ReverseResponse = typeof ReverseResponse.Type

export const SplitRequest = Schema.Struct({
  text: Schema.String,
  /** Absent or empty: split on runs of whitespace (the Lab04 client's behaviour). */
  delim: Schema.optional(Schema.String)
})
export type SplitRequest = typeof SplitRequest.Type

export const SplitResponse = Schema.Struct({ count: Schema.Int, parts: Schema.Array(Schema.String) })
export type SplitResponse = typeof SplitResponse.Type

/** Reverses by code points, so surrogate pairs (emoji, CJK extensions) stay intact. */
export const reverseText = (text: string): string => Array.from(text).reverse().join("")

/**
 * With a delimiter: every part, empty ones included (Python's `str.split(delim)`). Without:
 * the words between runs of whitespace, no empty parts (Python's `str.split()`).
 */
export const splitText = (text: string, delim?: string): ReadonlyArray<string> => {
  if (delim === undefined || delim === "") {
    const trimmed = text.trim()
    return trimmed === "" ? [] : trimmed.split(/\s+/u)
  }
  return text.split(delim)
}

export const handleReverse = (input: ReverseRequest): ReverseResponse => ({ text: reverseText(input.text) })

export const handleSplit = (input: SplitRequest): SplitResponse => {
  const parts = splitText(input.text, input.delim)
  return { count: parts.length, parts }
}

/** The Lab04 output: the count on the first line, then one part per line. */
export const formatSplit = (response: SplitResponse): string => [String(response.count), ...response.parts].join("\n")
