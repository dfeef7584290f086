/**
 * A bounded cache of open file handles, least recently used first out. The WAL writes the same
 * file thousands of times per second, so reopening per call would dominate;
 * the bound keeps a node from running out of descriptors however many files it touches.
 * A handle evicted while in use is closed when its last user finishes.
 */
import type { FileHandle } from "node:fs/promises"

interface CachedHandle {
  readonly handle: FileHandle
  users: number
  evicted: boolean
}

/** Opens `name`; `create` = false must fail (ENOENT) rather than create the file. */
export type OpenHandle = (name: string, create: boolean) => Promise<FileHandle>

/** A cache miss can race with an eviction by another caller; retrying a few times resolves it. */
const MAX_OPEN_ATTEMPTS = 5

export class FdCache {
  private readonly cached = new Map<string, CachedHandle>()
  private readonly opening = new Map<string, Promise<CachedHandle>>()
  private closed = false

  constructor(
    private readonly maxOpen: number,
    private readonly openHandle: OpenHandle
  ) {
    if (!Number.isInteger(maxOpen) || maxOpen < 1) throw new RangeError(`maxOpen must be a positive integer, got ${maxOpen}`)
  }

  get openCount(): number {
    return this.cached.size
  }

  /** Runs `use` with an open handle for `name`, opening (and possibly creating) it on a miss. */
  async use<A>(name: string, create: boolean, use: (handle: FileHandle) => Promise<A>): Promise<A> {
    const entry = await this.acquire(name, create)
    try {
      return await use(entry.handle)
    } finally {
      entry.users--
      if (entry.evicted && entry.users === 0) await closeQuietly(entry.handle)
    }
  }

  /**
   * The hot path without promises: if `name` is open, runs `use` with its handle and the
   * release to call when done, and answers true; else answers false and does nothing.
   */
  useIfOpen(name: string, use: (handle: FileHandle, release: () => void) => void): boolean {
    const hit = this.cached.get(name)
    if (hit === undefined || this.closed) return false
    this.cached.delete(name)
    this.cached.set(name, hit)
    hit.users++
    use(hit.handle, () => {
      hit.users--
      if (hit.evicted && hit.users === 0) void closeQuietly(hit.handle)
    })
    return true
  }

  /** Forgets the handle of `name` (its file is about to be replaced or removed). */
  async evict(name: string): Promise<void> {
    const entry = this.cached.get(name)
    if (entry !== undefined) await this.drop(name, entry)
  }

  async closeAll(): Promise<void> {
    this.closed = true
    await Promise.all([...this.cached.entries()].map(([name, entry]) => this.drop(name, entry)))
  }

  private async acquire(name: string, create: boolean): Promise<CachedHandle> {
    for (let attempt = 0; attempt < MAX_OPEN_ATTEMPTS; attempt++) {
      if (this.closed) throw new Error("file storage is closed")
      const hit = this.cached.get(name)
      if (hit !== undefined) {
        // Re-insert to mark it most recently used (Map keeps insertion order).
        this.cached.delete(name)
        this.cached.set(name, hit)
        hit.users++
        return hit
      }
      const entry = await this.openOnce(name, create)
      if (!entry.evicted) {
        entry.users++
        return entry
      }
    }
    throw new Error(`could not keep ${name} open: more files in use at once than the cache holds`)
  }

  private openOnce(name: string, create: boolean): Promise<CachedHandle> {
    const pending = this.opening.get(name)
    if (pending !== undefined) return pending
    const opened = this.openHandle(name, create)
      .then(async (handle) => {
        const entry: CachedHandle = { handle, users: 0, evicted: false }
        this.cached.set(name, entry)
        await this.shrink()
        return entry
      })
      .finally(() => this.opening.delete(name))
    this.opening.set(name, opened)
    return opened
  }

  private async shrink(): Promise<void> {
    const excess = this.cached.size - this.maxOpen
    if (excess <= 0) return
    const oldest = [...this.cached.entries()].slice(0, excess)
    await Promise.all(oldest.map(([name, entry]) => this.drop(name, entry)))
  }

  private async drop(name: string, entry: CachedHandle): Promise<void> {
    if (this.cached.get(name) === entry) this.cached.delete(name)
    if (entry.evicted) return
    entry.evicted = true
    if (entry.users === 0) await closeQuietly(entry.handle)
  }
}

const closeQuietly = async (handle: FileHandle): Promise<void> => {
  try {
    await handle.close()
  } catch {
    // Closing can only fail for an already-closed handle; nothing to recover.
  }
}
