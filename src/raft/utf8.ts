/**
 * UTF-8 length of a string without encoding it. The core's byte limits (entry size, bytes per
 * AppendEntries, snapshot size) are about bytes on the wire and on disk, not UTF-16 units, and
 * the core stays free of runtime APIs (Buffer) so it runs the same under Node, Deno and sims.
 */
export const utf8Bytes = (text: string): number => {
  let bytes = text.length
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    if (unit < 0x80) continue
    if (unit < 0x800) bytes += 1
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2 // a surrogate pair: 2 units, 4 bytes
      i++
    } else bytes += 2 // any other unit below 0x10000, lone surrogates included (encoded as U+FFFD: 3 bytes)
  }
  return bytes
}
