import { describe, expect, it } from "@effect/vitest"
import { requestProblem } from "../../actors/kv/validate.js"
import { route } from "../../src/http/route.js"

const limits = { maxKeyLength: 128, maxValueLength: 2048 }
const get = (target: string) => route("GET", target)

/** What a request to `target` is refused for: by the route, or by the KV service's rules. */
const refusal = (target: string) => {
  const routed = get(target)
  if (routed._tag === "Invalid") return routed.reason
  if (routed._tag === "Get") return requestProblem({ _tag: "get", key: routed.key }, limits)
  if (routed._tag === "Put") return requestProblem({ _tag: "put", key: routed.key, value: routed.value }, limits)
  return undefined
}

describe("HTTP routes", () => {
  it("GET /KEY reads and GET /KEY=VALUE writes, with or without the slash", () => {
    expect(get("/color")).toEqual({ _tag: "Get", key: "color" })
    expect(get("color")).toEqual({ _tag: "Get", key: "color" })
    expect(get("/color=blue")).toEqual({ _tag: "Put", key: "color", value: "blue" })
    expect(get("/empty=")).toEqual({ _tag: "Put", key: "empty", value: "" })
  })

  it("percent-decodes key and value after splitting on the first =", () => {
    expect(get("/a%20b=c%3Dd=e")).toEqual({ _tag: "Put", key: "a b", value: "c=d=e" })
    expect(get("/%E2%9C%93")).toEqual({ _tag: "Get", key: "\u2713" })
  })

  it("refuses bad keys and values with a reason (malformed encodings here, the rest by the KV rules)", () => {
    expect(refusal("/")).toBe("key is empty")
    expect(refusal(`/${"k".repeat(129)}`)).toBe("key is 129 characters long; the limit is 128")
    expect(refusal(`/${"\u{1F600}".repeat(128)}`)).toBeUndefined() // 128 characters, 256 UTF-16 units
    expect(refusal("/a[1]")).toBe("key must not contain [ or ]")
    expect(refusal("/a=%5B")).toBe("value must not contain [ or ]")
    expect(refusal(`/a=${"v".repeat(2049)}`)).toBe("value is 2049 characters long; the limit is 2048")
    expect(refusal("/bad%zz")).toBe("key has a malformed percent-encoding")
    expect(get("/bad%zz")).toMatchObject({ _tag: "Invalid", status: 400 })
    expect(refusal("/a=%0A")).toBe("value has a non-printable character")
    expect(refusal("/a=b")).toBeUndefined()
  })

  it("serves the reserved paths", () => {
    expect(get("/status")).toEqual({ _tag: "Status" })
    expect(get("/metrics")).toEqual({ _tag: "Metrics" })
    expect(get("/_troupe/leader")).toEqual({ _tag: "GetLeader" })
    expect(get("/_troupe/suspend?seconds=2.5")).toEqual({ _tag: "Suspend", seconds: 2.5 })
    expect(get("/_troupe/suspend?seconds=-1")).toMatchObject({ _tag: "Invalid", status: 400 })
    expect(get("/_troupe/nope")).toMatchObject({ _tag: "Invalid", status: 404 })
    expect(route("POST", "/rpc")).toEqual({ _tag: "Rpc" })
    expect(route("PUT", "/a=b")).toMatchObject({ _tag: "Invalid", status: 405 })
  })
})
