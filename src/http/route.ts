/**
 * Routing of a node's HTTP requests (DESIGN.md item 2). `GET /KEY` reads, `GET /KEY=VALUE`
 * writes (the first `=` of the raw target splits key from value, then each is percent-decoded,
 * so a value may hold `%3D`). `/status`, `/metrics`, `/rpc` and `/_troupe/...` are reserved
 * paths; every other target is a key. Pure: no I/O. The rules for keys and values are not
 * checked here but by the KV service, the one door every request (HTTP, SDK, forward) passes.
 */

export type Route =
  | { readonly _tag: "Get"; readonly key: string }
  | { readonly _tag: "Put"; readonly key: string; readonly value: string }
  | { readonly _tag: "Status" }
  | { readonly _tag: "Metrics" }
  | { readonly _tag: "Rpc" }
  | { readonly _tag: "GetLeader" }
  | { readonly _tag: "Suspend"; readonly seconds: number }
  | { readonly _tag: "Invalid"; readonly status: 400 | 404 | 405; readonly reason: string }

const invalid = (reason: string, status: 400 | 404 | 405 = 400): Route => ({ _tag: "Invalid", status, reason })

const decode = (text: string): string | undefined => {
  try {
    return decodeURIComponent(text)
  } catch {
    return undefined
  }
}

/** Longest accepted suspension: an admin typo must not take a node away for a day. */
const MAX_SUSPEND_SECONDS = 3600

const adminRoute = (path: string, query: URLSearchParams): Route => {
  switch (path) {
    case "/_troupe/leader":
      return { _tag: "GetLeader" }
    case "/_troupe/suspend": {
      const seconds = Number(query.get("seconds"))
      if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_SUSPEND_SECONDS) {
        return invalid(`suspend needs ?seconds= between 0 and ${MAX_SUSPEND_SECONDS}`)
      }
      return { _tag: "Suspend", seconds }
    }
    default:
      return invalid(`no such admin path: ${path}`, 404)
  }
}

const kvRoute = (target: string): Route => {
  const separator = target.indexOf("=")
  const rawKey = separator === -1 ? target : target.slice(0, separator)
  const key = decode(rawKey)
  if (key === undefined) return invalid("key has a malformed percent-encoding")
  if (separator === -1) return { _tag: "Get", key }
  const value = decode(target.slice(separator + 1))
  if (value === undefined) return invalid("value has a malformed percent-encoding")
  return { _tag: "Put", key, value }
}

export const route = (method: string, rawTarget: string): Route => {
  // A minimal client may send `GET KEY`; the port mux adds the slash, but accept both here.
  const target = rawTarget.startsWith("/") ? rawTarget.slice(1) : rawTarget
  if (target === "rpc") return method === "POST" ? { _tag: "Rpc" } : invalid("/rpc takes POST", 405)
  if (method !== "GET" && method !== "HEAD") return invalid(`method ${method} is not supported; use GET`, 405)
  if (target === "status") return { _tag: "Status" }
  if (target === "metrics") return { _tag: "Metrics" }
  if (target.startsWith("_troupe/")) {
    const url = new URL(`/${target}`, "http://troupe")
    return adminRoute(url.pathname, url.searchParams)
  }
  return kvRoute(target)
}
