/**
 * Virtual time for whole-cluster simulations: a Clock whose sleeps wait on a timer heap and a
 * Scheduler whose tasks wait in a queue, both driven by one synchronous loop. The loop runs
 * every runnable fiber until none is left, then jumps the clock to the next timer. Nothing
 * touches real time, so a simulated minute of a five-node cluster takes a fraction of a second
 * and the same seed gives the same run.
 *
 * Why not TestClock: TestClock decides that fibers have settled by polling with real timers
 * (a few milliseconds per sleeping fiber it wakes), which makes long multi-node runs slow. It
 * stays the tool for unit tests of timing; the cluster code itself is Clock-agnostic and runs
 * under either.
 *
 * Requirement: the simulated code must not wait on real I/O (promises, sockets, files); the sim
 * layers (network, memory disk) are synchronous underneath.
 */
import { Clock, Duration, Effect, Exit, type Fiber, type Random, type Scheduler } from "effect"

interface Timer {
  readonly atMs: number
  readonly seq: number
  readonly fire: () => void
}

/** A binary min-heap ordered by (time, insertion order), so equal-time timers fire FIFO. */
class TimerHeap {
  private readonly items: Array<Timer> = []
  private readonly cancelled = new Set<number>()
  get size(): number {
    return this.items.length - this.cancelled.size
  }
  push(timer: Timer): void {
    this.items.push(timer)
    let i = this.items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.less(i, parent)) break
      this.swap(i, parent)
      i = parent
    }
  }
  cancel(seq: number): void {
    this.cancelled.add(seq)
  }
  /** Removes and returns the earliest live timer. */
  pop(): Timer | undefined {
    while (this.items.length > 0) {
      const top = this.items[0]!
      const last = this.items.pop()!
      if (this.items.length > 0) {
        this.items[0] = last
        this.siftDown(0)
      }
      if (this.cancelled.delete(top.seq)) continue
      return top
    }
    return undefined
  }
  private siftDown(start: number): void {
    let i = start
    for (;;) {
      const left = 2 * i + 1
      const right = left + 1
      let smallest = i
      if (left < this.items.length && this.less(left, smallest)) smallest = left
      if (right < this.items.length && this.less(right, smallest)) smallest = right
      if (smallest === i) return
      this.swap(i, smallest)
      i = smallest
    }
  }
  private less(a: number, b: number): boolean {
    const x = this.items[a]!
    const y = this.items[b]!
    return x.atMs < y.atMs || (x.atMs === y.atMs && x.seq < y.seq)
  }
  private swap(a: number, b: number): void {
    const tmp = this.items[a]!
    this.items[a] = this.items[b]!
    this.items[b] = tmp
  }
}

export class SimulationStuck extends Error {
  constructor(readonly atMs: number, readonly reason: string) {
    super(`simulation stuck at ${atMs} ms: ${reason}`)
  }
}

export interface VirtualRunLimits {
  /** Stop (interrupting the program) once virtual time would pass this. */
  readonly maxTimeMs: number
  /** Stop after this many scheduler tasks: a livelock guard. */
  readonly maxTasks: number
}

export class VirtualTime {
  private nowMs = 0
  private seq = 0
  private readonly timers = new TimerHeap()
  private tasks: Array<Scheduler.Task> = []
  tasksRun = 0

  readonly scheduler: Scheduler.Scheduler = {
    // Yield often enough that one busy fiber cannot starve the others.
    shouldYield: (fiber) => (fiber.currentOpCount > 2048 ? 0 : false),
    scheduleTask: (task) => { this.tasks.push(task) }
  }

  readonly clock: Clock.Clock = {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: () => this.nowMs,
    currentTimeMillis: Effect.sync(() => this.nowMs),
    unsafeCurrentTimeNanos: () => BigInt(this.nowMs) * 1_000_000n,
    currentTimeNanos: Effect.sync(() => BigInt(this.nowMs) * 1_000_000n),
    sleep: (duration: Duration.Duration) =>
      Effect.async<void>((resume) => {
        const seq = this.seq++
        this.timers.push({ atMs: this.nowMs + Math.max(0, Duration.toMillis(duration)), seq, fire: () => resume(Effect.void) })
        return Effect.sync(() => this.timers.cancel(seq))
      })
  }

  get now(): number {
    return this.nowMs
  }

  private drainTasks(limits: VirtualRunLimits): void {
    while (this.tasks.length > 0) {
      const batch = this.tasks
      this.tasks = []
      for (const task of batch) {
        task()
        if (++this.tasksRun > limits.maxTasks) throw new SimulationStuck(this.nowMs, `more than ${limits.maxTasks} tasks`)
      }
    }
  }

  /**
   * Runs `program` to completion in virtual time, with this clock, this scheduler and the given
   * Random. Returns its exit; a program still running at `maxTimeMs` is interrupted.
   */
  run<A, E>(program: Effect.Effect<A, E>, random: Random.Random, limits: VirtualRunLimits): Exit.Exit<A, E | SimulationStuck> {
    const fiber: Fiber.RuntimeFiber<A, E> = Effect.runFork(
      program.pipe(Effect.withClock(this.clock), Effect.withRandom(random), Effect.withScheduler(this.scheduler)),
      { scheduler: this.scheduler }
    )
    for (;;) {
      this.drainTasks(limits)
      const exit = fiber.unsafePoll()
      if (exit !== null) return exit
      const next = this.timers.pop()
      if (next === undefined) return Exit.fail(new SimulationStuck(this.nowMs, "every fiber is waiting and no timer is set"))
      if (next.atMs > limits.maxTimeMs) {
        fiber.unsafeInterruptAsFork(fiber.id())
        this.drainTasks(limits)
        return Exit.fail(new SimulationStuck(this.nowMs, `still running at ${limits.maxTimeMs} ms`))
      }
      this.nowMs = Math.max(this.nowMs, next.atMs)
      next.fire()
    }
  }
}

