/**
 * File names arrive from the network: a name is accepted only if it can only ever mean one
 * plain file inside the destination folder. Anything else is refused with a reason to log.
 */

/** Temporary files use this prefix; a sender may not name a file so that it collides. */
export const partialFilePrefix = ".troupe-partial-"

// C0 controls, DEL and C1 controls: invisible in logs and dangerous on terminals.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

/** Undefined when acceptable, else why not. */
export const filenameProblem = (name: string, maxFilenameBytes: number): string | undefined => {
  if (name.length === 0) return "file name is empty"
  const bytes = Buffer.byteLength(name, "utf8")
  if (bytes > maxFilenameBytes) return `file name is ${bytes} bytes, the limit is ${maxFilenameBytes}`
  if (name.includes("..")) return `file name contains ".."`
  if (name.includes("/") || name.includes("\\")) return "file name contains a path separator"
  if (CONTROL.test(name)) return "file name contains a control character"
  if (name.includes(" | ")) return `file name contains the delimiter " | "`
  if (name === ".") return `file name is "."`
  if (name.startsWith(partialFilePrefix)) return `file name starts with the reserved prefix "${partialFilePrefix}"`
  return undefined
}
