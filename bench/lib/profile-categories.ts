/**
 * Which kind of work a profiled function is, from its source module (see bundle-modules.ts)
 * and name: the buckets the lead needs to decide what to optimize.
 */

export const IDLE = "idle"

interface Rule {
  readonly category: string
  readonly matches: (name: string, module: string) => boolean
}

const moduleStarts = (...prefixes: ReadonlyArray<string>) => (_: string, module: string) =>
  prefixes.some((prefix) => module.startsWith(prefix))

// First match wins, so specific rules (Schema inside effect/, HMAC inside crypto) come first.
const RULES: ReadonlyArray<Rule> = [
  { category: IDLE, matches: (name) => name === "(idle)" },
  { category: "GC", matches: (name) => name === "(garbage collector)" },
  { category: "V8/native, unattributed (program)", matches: (name) => name === "(program)" },
  {
    // libuv stream bindings (url ""): the syscall side of socket writes.
    category: "sockets + streams",
    matches: (name, module) => module === "(native)" && /^(writeBuffer|writev|write\w*String|readStart|readStop|shutdown)$/.test(name)
  },
  {
    category: "node http: parse + serialize",
    matches: (name, module) =>
      module.startsWith("node:_http") || module.startsWith("node:internal/http") || name.startsWith("parserOn")
  },
  {
    category: "sockets + streams",
    matches: moduleStarts("node:net", "node:stream", "node:internal/stream", "node:internal/streams/", "node:internal/net")
  },
  { category: "crypto (HMAC)", matches: moduleStarts("node:crypto", "node:internal/crypto") },
  { category: "fs", matches: moduleStarts("node:fs", "node:internal/fs") },
  { category: "node timers/promises/events/other", matches: moduleStarts("node:") },
  {
    category: "effect Schema (decode/encode)",
    matches: moduleStarts("node_modules/effect/dist/esm/Schema", "node_modules/effect/dist/esm/ParseResult", "node_modules/effect/dist/esm/SchemaAST")
  },
  { category: "effect runtime (fibers, core, data)", matches: moduleStarts("node_modules/effect/") },
  { category: "@effect/* (platform, cli, rpc)", matches: moduleStarts("node_modules/@effect/") },
  { category: "other node_modules", matches: moduleStarts("node_modules/") },
  { category: "troupe wire (frames, codec)", matches: moduleStarts("src/wire/") },
  { category: "troupe net (transport, mux)", matches: moduleStarts("src/net/") },
  { category: "troupe raft core", matches: moduleStarts("src/raft/") },
  { category: "troupe roles + runtime (shells)", matches: moduleStarts("src/roles/", "src/runtime/") },
  { category: "troupe storage (WAL)", matches: moduleStarts("src/storage/") },
  { category: "troupe acceptor + kv", matches: moduleStarts("src/http/", "src/node/", "actors/") },
  { category: "troupe other", matches: moduleStarts("src/", "config/") },
  { category: "JS builtins / native (JSON, RegExp, ...)", matches: (_, module) => module === "(native)" }
]

export const categoryOf = (name: string, module: string): string =>
  RULES.find((rule) => rule.matches(name, module))?.category ?? "other JS"
