/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum of zlib/gzip/PNG.
 * Table-driven because `zlib.crc32` only exists from Node 22 and troupe supports Node 20.
 */
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

/** CRC-32 of `bytes[start, end)`; pass a previous result as `seed` to continue a running checksum. */
export const crc32 = (bytes: Uint8Array, start = 0, end = bytes.length, seed = 0): number => {
  let crc = (seed ^ 0xffffffff) >>> 0
  for (let offset = start; offset < end; offset++) {
    crc = TABLE[(crc ^ bytes[offset]!) & 0xff]! ^ (crc >>> 8)
  }
  return (crc ^ 0xffffffff) >>> 0
}
