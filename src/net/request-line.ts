/**
 * Minimal clients send `GET key HTTP/1.1` (no slash, no Host header). node:http's parser
 * refuses a request target that is neither origin-form (`/...`), `*` nor absolute, so the port
 * mux rewrites the first request line of a connection into origin-form before handing it over.
 * Everything else passes through untouched.
 */
const REQUEST_LINE = /^([A-Z]{1,16}) ([^\s/*][^\s]*)( HTTP\/\d\.\d)?\r?\n/
const ABSOLUTE_TARGET = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//

/** True once `head` holds the whole first line (or the bound says to stop waiting for it). */
export const hasRequestLine = (head: Uint8Array): boolean => head.indexOf(0x0a) !== -1

/** Inserts the missing "/" in a first request line like `GET key HTTP/1.1`; otherwise returns `head`. */
export const normalizeRequestLine = (head: Buffer): Buffer => {
  const lineEnd = head.indexOf(0x0a)
  if (lineEnd === -1) return head
  const match = REQUEST_LINE.exec(head.toString("latin1", 0, lineEnd + 1))
  if (match === null || ABSOLUTE_TARGET.test(match[2]!)) return head
  const insertAt = match[1]!.length + 1
  return Buffer.concat([head.subarray(0, insertAt), Buffer.from("/"), head.subarray(insertAt)])
}
