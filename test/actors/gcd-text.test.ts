import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { formatGcd, gcd, handleGcd } from "../../actors/gcd/index.js"
import { formatSplit, handleSplit, reverseText } from "../../actors/text/index.js"

describe("gcd", () => {
  it("small cases and the Lab03 line", () => {
    expect(gcd(12n, 18n)).toBe(6n)
    expect(gcd(0n, 5n)).toBe(5n)
    expect(gcd(0n, 0n)).toBe(0n)
    expect(gcd(-12n, 18n)).toBe(6n)
    expect(formatGcd(handleGcd({ a: 12n, b: 18n }))).toBe("gcd for 12 18 is 6")
  })

  it("divides both and is the greatest such (property)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 300n), max: 2n ** 300n }), fc.bigInt({ min: 1n, max: 2n ** 100n }), fc.bigInt({ min: 1n, max: 2n ** 100n }), (k, x, y) => {
        // gcd(k·x, k·y) = |k| · gcd(x, y)
        const abs = k < 0n ? -k : k
        return gcd(k * x, k * y) === abs * gcd(x, y) && (gcd(x, y) === 0n || (x % gcd(x, y) === 0n && y % gcd(x, y) === 0n))
      })
    )
  })
})

describe("text", () => {
  it("reverses by code points", () => {
    expect(reverseText("hello world")).toBe("dlrow olleh")
    expect(reverseText("a😀b")).toBe("b😀a")
    expect(reverseText("")).toBe("")
    fc.assert(fc.property(fc.fullUnicodeString(), (text) => reverseText(reverseText(text)) === text))
  })

  it("splits on whitespace by default and on a delimiter when given", () => {
    expect(handleSplit({ text: "a b c" })).toEqual({ count: 3, parts: ["a", "b", "c"] })
    expect(handleSplit({ text: "  a \t b\n" })).toEqual({ count: 2, parts: ["a", "b"] })
    expect(handleSplit({ text: "   " })).toEqual({ count: 0, parts: [] })
    expect(handleSplit({ text: "a,,b", delim: "," })).toEqual({ count: 3, parts: ["a", "", "b"] })
    expect(formatSplit(handleSplit({ text: "a b c" }))).toBe("3\na\nb\nc")
  })
})
