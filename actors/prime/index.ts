/**
 * The `prime` actor (Labs 2–4): is an integer prime? A single call and a streaming form
 * (numbers in, answers out, in order). Numbers travel as decimal text so that any size fits;
 * the runtime checks the text against the configured limits before a worker sees it.
 */
import { Schema } from "effect"
import { isPrime } from "./miller-rabin.js"

/** A decimal integer as text ("-12", "2305843009213693951"). */
export const IntegerText = Schema.String.annotations({ description: "a decimal integer" })

export const IsPrimeRequest = Schema.Struct({ n: IntegerText })
export type IsPrimeRequest = typeof IsPrimeRequest.Type

export const IsPrimeStreamRequest = Schema.Struct({ numbers: Schema.Array(IntegerText) })
export type IsPrimeStreamRequest = typeof IsPrimeStreamRequest.Type

export const IsPrimeResponse = Schema.Struct({ n: Schema.BigInt, prime: Schema.Boolean })
export type IsPrimeResponse = typeof IsPrimeResponse.Type

/** What a worker runs, once the number has been parsed. */
export const handleIsPrime = (input: { readonly n: bigint }): IsPrimeResponse => ({ n: input.n, prime: isPrime(input.n) })

/** The Lab02/Lab03 answer line. */
export const formatIsPrime = (response: IsPrimeResponse): string =>
  `${response.n} is ${response.prime ? "prime" : "not prime"}`
