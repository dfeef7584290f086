/**
 * Primality of integers of any size, as bigint.
 *
 * Below 3,317,044,064,679,887,385,961,981 (about 3.3e24) Miller–Rabin with the first 13 prime
 * bases is deterministic (Sorenson & Webster 2015). Above it we run Baillie–PSW (Miller–Rabin
 * base 2 plus a strong Lucas test): no composite passing it is known, and unlike a fixed set of
 * extra Miller–Rabin bases it is not defeated by a published pseudoprime.
 */

const DETERMINISTIC_BASES = [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n, 41n] as const
export const DETERMINISTIC_LIMIT = 3_317_044_064_679_887_385_961_981n

/** Trial division by these cheaply rejects most composites before any modular exponentiation. */
const TRIAL_PRIMES: ReadonlyArray<bigint> = (() => {
  const limit = 1000
  const composite = new Uint8Array(limit + 1)
  const primes: Array<bigint> = []
  for (let candidate = 2; candidate <= limit; candidate++) {
    if (composite[candidate] === 1) continue
    primes.push(BigInt(candidate))
    for (let multiple = candidate * candidate; multiple <= limit; multiple += candidate) composite[multiple] = 1
  }
  return primes
})()

export const modPow = (base: bigint, exponent: bigint, modulus: bigint): bigint => {
  if (modulus === 1n) return 0n
  let result = 1n
  let factor = ((base % modulus) + modulus) % modulus
  let remaining = exponent
  while (remaining > 0n) {
    if ((remaining & 1n) === 1n) result = (result * factor) % modulus
    factor = (factor * factor) % modulus
    remaining >>= 1n
  }
  return result
}

/** Strong probable-prime test of odd n > 2 to base a (Miller–Rabin round). */
export const isStrongProbablePrime = (n: bigint, base: bigint): boolean => {
  const a = base % n
  if (a === 0n) return true
  let d = n - 1n
  let twos = 0
  while ((d & 1n) === 0n) {
    d >>= 1n
    twos++
  }
  let x = modPow(a, d, n)
  if (x === 1n || x === n - 1n) return true
  for (let round = 1; round < twos; round++) {
    x = (x * x) % n
    if (x === n - 1n) return true
    if (x === 1n) return false
  }
  return false
}

/** Jacobi symbol (a/n) for odd positive n. */
export const jacobi = (value: bigint, modulus: bigint): -1 | 0 | 1 => {
  let a = ((value % modulus) + modulus) % modulus
  let n = modulus
  let sign: -1 | 1 = 1
  while (a !== 0n) {
    while ((a & 1n) === 0n) {
      a >>= 1n
      const r = n % 8n
      if (r === 3n || r === 5n) sign = sign === 1 ? -1 : 1
    }
    ;[a, n] = [n, a]
    if (a % 4n === 3n && n % 4n === 3n) sign = sign === 1 ? -1 : 1
    a %= n
  }
  return n === 1n ? sign : 0
}

export const integerSquareRoot = (n: bigint): bigint => {
  if (n < 2n) return n
  // Newton's iteration from a power of two above the root decreases monotonically to floor(sqrt(n)).
  let x = 1n << BigInt((n.toString(2).length >> 1) + 1)
  for (;;) {
    const next = (x + n / x) >> 1n
    if (next >= x) return x
    x = next
  }
}

const mod = (value: bigint, n: bigint): bigint => ((value % n) + n) % n
const halfMod = (value: bigint, n: bigint): bigint => {
  const v = mod(value, n)
  return ((v & 1n) === 0n ? v : v + n) >> 1n
}

/** Strong Lucas probable-prime test with Selfridge's parameters, for odd n > 2 not a square. */
export const isStrongLucasProbablePrime = (n: bigint): boolean => {
  let d = 5n
  for (;;) {
    const symbol = jacobi(d, n)
    if (symbol === -1) break
    if (symbol === 0 && (d < 0n ? -d : d) !== n) return false
    d = d > 0n ? -(d + 2n) : -d + 2n
  }
  const p = 1n
  const q = (1n - d) / 4n
  let k = n + 1n
  let twos = 0
  while ((k & 1n) === 0n) {
    k >>= 1n
    twos++
  }
  let u = 1n
  let v = p
  let qk = mod(q, n)
  for (let bit = k.toString(2).length - 2; bit >= 0; bit--) {
    u = mod(u * v, n)
    v = mod(v * v - 2n * qk, n)
    qk = mod(qk * qk, n)
    if (((k >> BigInt(bit)) & 1n) === 1n) {
      const nextU = halfMod(p * u + v, n)
      v = halfMod(d * u + p * v, n)
      u = nextU
      qk = mod(qk * q, n)
    }
  }
  if (u === 0n || v === 0n) return true
  for (let round = 1; round < twos; round++) {
    v = mod(v * v - 2n * qk, n)
    if (v === 0n) return true
    qk = mod(qk * qk, n)
  }
  return false
}

/** Baillie–PSW for odd n with no small factor. */
export const isBailliePswProbablePrime = (n: bigint): boolean => {
  if (!isStrongProbablePrime(n, 2n)) return false
  const root = integerSquareRoot(n)
  if (root * root === n) return false
  return isStrongLucasProbablePrime(n)
}

export const isPrime = (n: bigint): boolean => {
  if (n < 2n) return false
  for (const small of TRIAL_PRIMES) {
    if (n === small) return true
    if (n % small === 0n) return false
  }
  const largestTrial = TRIAL_PRIMES[TRIAL_PRIMES.length - 1]!
  if (n <= largestTrial * largestTrial) return true
  if (n < DETERMINISTIC_LIMIT) return DETERMINISTIC_BASES.every((base) => isStrongProbablePrime(n, base))
  return isBailliePswProbablePrime(n)
}
