/** The `gcd` actor (Lab03): greatest common divisor of two integers of any size. */
import { Schema } from "effect"

export const GcdRequest = Schema.Struct({
  a: Schema.String.annotations({ description: "a decimal integer" }),
  b: Schema.String.annotations({ description: "a decimal integer" })
})
export type GcdRequest = typeof GcdRequest.Type

export const GcdResponse = Schema.Struct({ a: Schema.BigInt, b: Schema.BigInt, gcd: Schema.BigInt })
export type GcdResponse = typeof GcdResponse.Type

/** Euclid on absolute values; gcd(0, 0) = 0 by convention. */
export const gcd = (a: bigint, b: bigint): bigint => {
  let x = a < 0n ? -a : a
  let y = b < 0n ? -b : b
  while (y !== 0n) [x, y] = [y, x % y]
  return x
}

export const handleGcd = (input: { readonly a: bigint; readonly b: bigint }): GcdResponse => ({
  a: input.a,
  b: input.b,
  gcd: gcd(input.a, input.b)
})

/** The Lab03 answer line. */
export const formatGcd = (response: GcdResponse): string => `gcd for ${response.a} ${response.b} is ${response.gcd}`
