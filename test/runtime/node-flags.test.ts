import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { NODE_V8_FLAGS } from "../../src/runtime/node-flags.js"

const root = path.resolve(import.meta.dirname, "../..")

describe("V8 flags of a node", () => {
  it("the bundled bins' shebang carries exactly NODE_V8_FLAGS", () => {
    const scripts = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).scripts as Record<string, string>
    const shebang = /#!\/usr\/bin\/env -S node ([^\n"]*)\n/.exec(scripts.bundle ?? "")
    expect(shebang?.[1]).toBe(NODE_V8_FLAGS.join(" "))
  })

  it("a built troupe.mjs starts with that shebang", () => {
    const bin = path.join(root, "dist/bin/troupe.mjs")
    if (!fs.existsSync(bin)) return // npm test builds first; a bare vitest run may not have
    const firstLine = fs.readFileSync(bin, "utf8").split("\n", 1)[0]
    expect(firstLine).toBe(`#!/usr/bin/env -S node ${NODE_V8_FLAGS.join(" ")}`)
    // npx troupe-client runs the file itself: the build must leave every bin executable.
    for (const name of ["troupe.mjs", "troupe-client.mjs", "troupe-deno.mjs"]) {
      expect(fs.statSync(path.join(root, "dist/bin", name)).mode & 0o111).toBe(0o111)
    }
  })
})
