/**
 * The JSON body of a frame: `JSON.stringify(Schema.encodeSync(PeerMessage)(message))` on the way
 * out, `Schema.decodeUnknownEither(PeerMessage)` on the way in.
 *
 * Encoding fast path: when a schema has no transformation anywhere, its encoded form IS its type
 * form, and `encodeSync` only re-validates a value the type checker already vouched for. That
 * validation costs as much as the decode (about 3 µs per log entry), so it is skipped; the bytes
 * are identical (up to key order and excess properties, which decoding ignores), and the
 * receiver still validates everything. Should PeerMessage ever gain a
 * transformation (a Date, a BigInt...), the full encode runs again automatically.
 */
import { Either, Schema, SchemaAST } from "effect"
import { decodeHotMessage } from "./hot-decode.js"
import { decodeUnknownTotal } from "./total-decode.js"
import { PeerMessage } from "./messages.js"

/** True when encoding with `ast` cannot change a value (no transformation, no opaque declaration). */
export const encodesAsItself = (ast: SchemaAST.AST): boolean => {
  switch (ast._tag) {
    case "Transformation":
    case "Declaration":
    case "Suspend":
      return false
    case "Refinement":
      return encodesAsItself(ast.from)
    case "Union":
      return ast.types.every(encodesAsItself)
    case "TupleType":
      return ast.elements.every((element) => encodesAsItself(element.type)) && ast.rest.every((rest) => encodesAsItself(rest.type))
    case "TypeLiteral":
      return ast.propertySignatures.every((property) => encodesAsItself(property.type)) &&
        ast.indexSignatures.every((index) => encodesAsItself(index.type))
    default:
      return true
  }
}

export class MessageEncodeError extends Error {
  readonly _tag = "MessageEncodeError"
}

/** Builds the JSON encoder for `schema`, taking the fast path when its encoding is the identity. */
export const jsonEncoder = <A, I>(schema: Schema.Schema<A, I>): (value: A) => string => {
  if (encodesAsItself(schema.ast)) return (value) => JSON.stringify(value)
  const encode = Schema.encodeSync(schema)
  return (value) => {
    try {
      return JSON.stringify(encode(value))
    } catch (error) {
      throw new MessageEncodeError(`not a valid message: ${String(error)}`)
    }
  }
}

/**
 * Builds the total decoder for `schema` of an already parsed value: undefined for anything that
 * is not valid. `fastPath` may decode common shapes by hand; whatever it returns undefined for
 * goes to the Schema, which stays the authority on what is valid.
 */
export const valueDecoder = <A, I>(
  schema: Schema.Schema<A, I>,
  fastPath?: (json: unknown) => A | undefined
): (json: unknown) => A | undefined => {
  const decode = decodeUnknownTotal(schema)
  return (json) => {
    const fast = fastPath?.(json)
    if (fast !== undefined) return fast
    const decoded = decode(json)
    return Either.isRight(decoded) ? decoded.right : undefined
  }
}

/** The same from JSON text: undefined for text that is not JSON, too. */
export const jsonDecoder = <A, I>(
  schema: Schema.Schema<A, I>,
  fastPath?: (json: unknown) => A | undefined
): (text: string) => A | undefined => {
  const decodeValue = valueDecoder(schema, fastPath)
  return (text) => {
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      return undefined
    }
    return decodeValue(json)
  }
}

export const encodePeerMessageJson: (message: PeerMessage) => string = jsonEncoder(PeerMessage)
/** Hot messages take the hand-written decoder (hot-decode.ts); the rest, and all refusals, the Schema. */
export const decodePeerMessageJson: (text: string) => PeerMessage | undefined = jsonDecoder(PeerMessage, decodeHotMessage)
