/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum of zlib/gzip/PNG.
 * Node's native `zlib.crc32` (Node >= 20.15) when the runtime has it: 30 times faster here (6.5 MB
 * in 1.6 ms against 49 ms, a 7 KB group commit in 3 µs against 20). A table-driven fallback
 * serves runtimes without it.
 */
import * as zlib from "node:zlib"

const POLYNOMIAL = 0xedb88320

const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256)
  for (let byte = 0; byte < 256; byte++) {
    let value = byte
    for (let bit = 0; bit < 8; bit++) value = value & 1 ? (value >>> 1) ^ POLYNOMIAL : value >>> 1
    table[byte] = value >>> 0
  }
  return table
})()

/** The table-driven CRC-32 of `bytes[start, end)`, continuing from `seed`. */
export const crc32ByTable = (bytes: Uint8Array, start = 0, end = bytes.length, seed = 0): number => {
  let crc = (seed ^ 0xffffffff) >>> 0
  for (let offset = start; offset < end; offset++) {
    crc = TABLE[(crc ^ bytes[offset]!) & 0xff]! ^ (crc >>> 8)
  }
  return (crc ^ 0xffffffff) >>> 0
}

const native = (zlib as { readonly crc32?: (data: Uint8Array, value?: number) => number }).crc32

/**
 * CRC-32 of `bytes[start, end)`; pass a previous result as `seed` to continue a running checksum.
 * Nothing to add returns the seed: Node 20's zlib.crc32 answers 0 for some empty views (an empty
 * subarray of an empty Buffer), whatever the seed.
 */
export const crc32 = native === undefined
  ? crc32ByTable
  : (bytes: Uint8Array, start = 0, end = bytes.length, seed = 0): number =>
    start >= end ? seed >>> 0 : native(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end), seed) >>> 0
