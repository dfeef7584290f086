import { describe, expect, it } from "vitest"
import fc from "fast-check"
import {
  DETERMINISTIC_LIMIT,
  isBailliePswProbablePrime,
  isPrime,
  isStrongLucasProbablePrime,
  integerSquareRoot,
  jacobi
} from "../../actors/prime/miller-rabin.js"
import { formatIsPrime, handleIsPrime } from "../../actors/prime/index.js"

const sieve = (limit: number): Uint8Array => {
  const prime = new Uint8Array(limit + 1).fill(1)
  prime[0] = 0
  prime[1] = 0
  for (let p = 2; p * p <= limit; p++) {
    if (prime[p] === 1) for (let m = p * p; m <= limit; m += p) prime[m] = 0
  }
  return prime
}

describe("isPrime", () => {
  it("agrees with a sieve up to 200000", () => {
    const limit = 200_000
    const expected = sieve(limit)
    const mismatches: Array<number> = []
    for (let n = 0; n <= limit; n++) if (isPrime(BigInt(n)) !== (expected[n] === 1)) mismatches.push(n)
    expect(mismatches).toEqual([])
  })

  it("0, 1 and negatives are not prime", () => {
    for (const n of [0n, 1n, -1n, -2n, -7n, -2305843009213693951n]) expect(isPrime(n)).toBe(false)
  })

  it("knows Mersenne primes and composites", () => {
    expect(isPrime(2n ** 61n - 1n)).toBe(true)
    expect(isPrime(2n ** 89n - 1n)).toBe(true)
    expect(isPrime(2n ** 107n - 1n)).toBe(true)
    expect(isPrime(2n ** 127n - 1n)).toBe(true)
    expect(isPrime(2n ** 521n - 1n)).toBe(true)
    expect(isPrime(2n ** 67n - 1n)).toBe(false) // 193707721 × 761838257287
    expect(isPrime(2n ** 101n - 1n)).toBe(false)
  })

  it("rejects Carmichael numbers and strong pseudoprimes to small bases", () => {
    const composites = [
      561n, 1105n, 1729n, 2465n, 2821n, 6601n, 8911n, // Carmichael
      2047n, 1373653n, 25326001n, 3215031751n, 2152302898747n, 3474749660383n, 341550071728321n,
      3825123056546413051n, // strong pseudoprime to bases 2..23
      318665857834031151167461n, // strong pseudoprime to bases 2..37
      3317044064679887385961981n // strong pseudoprime to bases 2..37, the deterministic limit
    ]
    for (const n of composites) expect(isPrime(n), String(n)).toBe(false)
  })

  it("the Lab02 numbers", () => {
    const answers = [15492781n, 15492787n, 15492803n, 15492811n, 15492810n, 15492833n, 15492859n, 15502547n, 15520301n, 15527509n, 15522343n, 1550784n]
      .map((n) => formatIsPrime(handleIsPrime({ n })))
    const expected = sieve(15_530_000)
    expect(answers).toEqual(
      [15492781, 15492787, 15492803, 15492811, 15492810, 15492833, 15492859, 15502547, 15520301, 15527509, 15522343, 1550784]
        .map((n) => `${n} is ${expected[n] === 1 ? "prime" : "not prime"}`)
    )
  })

  it("above the deterministic limit: large primes pass, their products fail", () => {
    const p = 2n ** 89n - 1n
    const q = 2n ** 107n - 1n
    expect(p * q > DETERMINISTIC_LIMIT).toBe(true)
    expect(isPrime(p * q)).toBe(false)
    expect(isPrime(p * p)).toBe(false)
    expect(isPrime(2n ** 607n - 1n)).toBe(true)
    expect(isPrime(10n ** 25n + 13n)).toBe(true) // smallest prime above 10^25
    expect(isPrime(10n ** 25n + 11n)).toBe(false)
  })

  it("the strong Lucas and Baillie–PSW tests agree with a sieve on odd numbers", () => {
    const limit = 30_000
    const expected = sieve(limit)
    const mismatches: Array<string> = []
    for (let n = 3; n <= limit; n += 2) {
      const root = integerSquareRoot(BigInt(n))
      if (root * root === BigInt(n)) continue
      if (isBailliePswProbablePrime(BigInt(n)) !== (expected[n] === 1)) mismatches.push(`bpsw ${n}`)
      // No strong Lucas pseudoprime below 5459 (the first one); every prime passes.
      const lucasMustBeExact = expected[n] === 1 || n < 5459
      if (lucasMustBeExact && isStrongLucasProbablePrime(BigInt(n)) !== (expected[n] === 1)) mismatches.push(`lucas ${n}`)
    }
    expect(mismatches).toEqual([])
    expect(isStrongLucasProbablePrime(5459n)).toBe(true) // the first strong Lucas pseudoprime
  })

  it("jacobi and integer square root", () => {
    expect(jacobi(2n, 7n)).toBe(1)
    expect(jacobi(3n, 7n)).toBe(-1)
    expect(jacobi(14n, 7n)).toBe(0)
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 200n }), (n) => {
        const root = integerSquareRoot(n)
        return root * root <= n && (root + 1n) * (root + 1n) > n
      })
    )
  })
})
