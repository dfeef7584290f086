import { describe, expect, it } from "@effect/vitest"
import { hasRequestLine, normalizeRequestLine } from "../../src/net/request-line.js"

const normalize = (text: string) => normalizeRequestLine(Buffer.from(text, "latin1")).toString("latin1")

describe("normalizeRequestLine", () => {
  it("adds the missing slash to a bare key target", () => {
    expect(normalize("GET key HTTP/1.1\r\n\r\n")).toBe("GET /key HTTP/1.1\r\n\r\n")
    expect(normalize("GET k=v HTTP/1.1\nrest")).toBe("GET /k=v HTTP/1.1\nrest")
    expect(normalize("GET a:b HTTP/1.0\r\n")).toBe("GET /a:b HTTP/1.0\r\n")
  })

  it("leaves origin-form, asterisk, absolute and unparsable lines alone", () => {
    for (const text of [
      "GET /key HTTP/1.1\r\n",
      "OPTIONS * HTTP/1.1\r\n",
      "GET http://h/key HTTP/1.1\r\n",
      "GET key HTTP/1.1",
      "\u0000\u00ff garbage\r\n",
      ""
    ]) expect(normalize(text)).toBe(text)
  })

  it("knows when the first line is complete", () => {
    expect(hasRequestLine(Buffer.from("GET key HTTP/1.1"))).toBe(false)
    expect(hasRequestLine(Buffer.from("GET key HTTP/1.1\r\n"))).toBe(true)
  })
})
