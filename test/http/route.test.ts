import { describe, expect, it } from "@effect/vitest"
import { route } from "../../src/http/route.js"

const limits = { maxKeyLength: 128, maxValueLength: 2048 }
const get = (target: string) => route("GET", target, limits)

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

  it("refuses bad keys and values with a reason", () => {
    expect(get("/")).toMatchObject({ _tag: "Invalid", status: 400, reason: "key is empty" })
    expect(get(`/${"k".repeat(129)}`)).toMatchObject({ _tag: "Invalid", status: 400 })
    expect(get("/a[1]")).toMatchObject({ _tag: "Invalid", reason: "key must not contain [ or ]" })
    expect(get("/a=%5B")).toMatchObject({ _tag: "Invalid", reason: "value must not contain [ or ]" })
    expect(get(`/a=${"v".repeat(2049)}`)).toMatchObject({ _tag: "Invalid", status: 400 })
    expect(get("/bad%zz")).toMatchObject({ _tag: "Invalid", reason: "key has a malformed percent-encoding" })
    expect(get("/a=%0A")).toMatchObject({ _tag: "Invalid", reason: "value has a non-printable character" })
  })

  it("serves the reserved paths", () => {
    expect(get("/status")).toEqual({ _tag: "Status" })
    expect(get("/metrics")).toEqual({ _tag: "Metrics" })
    expect(get("/_troupe/leader")).toEqual({ _tag: "GetLeader" })
    expect(get("/_troupe/suspend?seconds=2.5")).toEqual({ _tag: "Suspend", seconds: 2.5 })
    expect(get("/_troupe/suspend?seconds=-1")).toMatchObject({ _tag: "Invalid", status: 400 })
    expect(get("/_troupe/nope")).toMatchObject({ _tag: "Invalid", status: 404 })
    expect(route("POST", "/rpc", limits)).toEqual({ _tag: "Rpc" })
    expect(route("PUT", "/a=b", limits)).toMatchObject({ _tag: "Invalid", status: 405 })
  })
})
