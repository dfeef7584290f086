/**
 * V8 flags a troupe node runs with, wherever it is started: the bundled bins carry them in
 * their shebang (package.json "bundle"), and every launcher that spawns nodes (troupe local, the
 * process cluster of tests, bench and nemesis, troupe-deno through --v8-flags) passes them.
 *
 * A node allocates a short-lived object or ten per request and per log entry; V8's young
 * generation, capped at 16 MiB per semi-space by default, then scavenges thousands of times a
 * second. Doubling the cap halves the scavenges: on the 3-node KV bench it cut the CPU per write
 * by about a third on every node (bench/kv.ts, writes 3.2-4.9k -> 6.4-7.2k/s on the 2-core VM).
 */
export const NODE_V8_FLAGS: ReadonlyArray<string> = ["--max-semi-space-size=32"]
