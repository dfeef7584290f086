/**
 * Schema's `decodeUnknownEither` as a total function. Effect 3.22's parser throws
 * ("Cannot convert object to primitive value") instead of returning a Left when a union's tag
 * holds an object whose `toString` is not a function, e.g. `{"_tag":{"toString":0}}`: it calls
 * String() on the value to describe it. Untrusted input goes through this, so a malformed
 * message is refused like any other, never thrown.
 */
import { Either, ParseResult, Schema } from "effect"

export const decodeUnknownTotal = <A, I>(schema: Schema.Schema<A, I>) => {
  const decode = Schema.decodeUnknownEither(schema)
  return (input: unknown): Either.Either<A, ParseResult.ParseError> => {
    try {
      return decode(input)
    } catch {
      return Either.left(new ParseResult.ParseError({ issue: new ParseResult.Type(schema.ast, input, "not a value the parser can describe") }))
    }
  }
}
