/**
 * troupe-deno: the same command line as `troupe`, run by Deno instead of Node
 * (`troupe-deno node --servers F --self 3`). Deno comes from the `deno` package on the npm
 * registry (an optional dependency); `TROUPE_DENO` may point at another binary.
 */
import * as childProcess from "node:child_process"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { NODE_V8_FLAGS } from "../runtime/node-flags.js"

const findDeno = (): string | undefined => {
  if (process.env.TROUPE_DENO !== undefined && process.env.TROUPE_DENO !== "") return process.env.TROUPE_DENO
  const require = createRequire(import.meta.url)
  for (const pkg of ["@deno/linux-x64-glibc", "@deno/linux-arm64-glibc", "@deno/darwin-arm64", "@deno/darwin-x64"]) {
    try {
      const binary = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), "deno")
      if (fs.existsSync(binary)) return binary
    } catch {
      // not installed for this platform
    }
  }
  return undefined
}

const deno = findDeno()
if (deno === undefined) {
  process.stdout.write("ERROR: deno is not installed (npm install deno, or set TROUPE_DENO)\n")
  process.exit(2)
}
const troupe = path.join(path.dirname(fileURLToPath(import.meta.url)), "troupe.mjs")
// If this wrapper dies without passing a signal on (SIGKILL), Deno must not live on as an orphan.
const child = childProcess.spawn(deno, ["run", "--allow-all", "--quiet", `--v8-flags=${NODE_V8_FLAGS.join(",")}`, troupe, ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, TROUPE_EXIT_WITH_PARENT: String(process.pid) }
})
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal))
child.on("exit", (code, signal) => process.exit(code ?? (signal === null ? 1 : 128 + (signal === "SIGKILL" ? 9 : 15))))
