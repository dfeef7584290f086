/**
 * A pool of worker threads for the stateless compute actors, so CPU-heavy calls never delay
 * heartbeats or elections on the main thread.
 *
 * - `workers` slots, each a fiber owning one worker; calls wait in ONE bounded queue and a
 *   call past `queueCapacity` fails at once with `Busy` (backpressure the caller can see).
 * - Every call has a deadline (`callTimeout`, counted from when it was queued). A worker whose
 *   call timed out, whose caller went away, or that died is terminated and replaced: a
 *   synchronous computation cannot be cancelled any other way.
 * - Scoped: closing the scope fails waiting calls and terminates every worker.
 */
import { Deferred, Duration, Effect, Option, Queue, type Scope } from "effect"
import type { ComputeHandlers } from "../../actors/compute.js"
import { ComputeError } from "./errors.js"
import { defaultSpawnWorker, resolveWorkerEntry, type SpawnWorker, type WorkerHandle } from "./worker-host.js"
import { decodeWorkerReply, type WorkerReply } from "./worker-protocol.js"
import type { HandlerTable } from "./worker-runtime.js"

export interface WorkerPoolOptions {
  readonly workers: number
  readonly callTimeout: Duration.DurationInput
  readonly queueCapacity: number
  /** Pause before starting a worker again after one failed to start (e.g. a broken entry). */
  readonly restartDelay: Duration.DurationInput
  /** How long a new worker may take to load its entry; default `callTimeout`. */
  readonly startTimeout?: Duration.DurationInput
  /** The worker entry module; default: src/compute/worker (see worker-host.ts). */
  readonly entry?: URL
  readonly spawn?: SpawnWorker
}

export interface PoolStats {
  readonly workers: number
  readonly running: number
  readonly queued: number
  readonly completed: number
  readonly failed: number
  readonly rejectedBusy: number
  readonly timedOut: number
  readonly crashed: number
  readonly workersStarted: number
  /** Workers started and not yet terminated. */
  readonly workersAlive: number
  readonly malformedReplies: number
}

export interface WorkerPool<H extends HandlerTable = ComputeHandlers> {
  /** Runs `op` on a worker. Input must already be validated (see input.ts). */
  readonly run: <Op extends keyof H & string>(op: Op, input: Parameters<H[Op]>[0]) => Effect.Effect<ReturnType<H[Op]>, ComputeError>
  readonly stats: Effect.Effect<PoolStats>
  /** Waits until every worker has started once (e.g. before a server says it is up). */
  readonly ready: Effect.Effect<void>
  /**
   * True when a new call would have to wait for a worker. The seam for the broker: a node may
   * send such a call to a peer instead (see service.ts).
   */
  readonly saturated: Effect.Effect<boolean>
}

interface Job {
  readonly op: string
  readonly input: unknown
  /** Completed by the worker's answer, or by the caller giving up (timeout, interruption). */
  readonly result: Deferred.Deferred<unknown, ComputeError>
  /** Set while a worker runs the job: how the slot learns what happened. */
  running?: RunningJob | undefined
}

/** What ends a running job, signalled from worker callbacks or the caller. */
type JobEvent =
  | { readonly _tag: "Reply"; readonly reply: WorkerReply }
  | { readonly _tag: "Died"; readonly reason: string }
  | { readonly _tag: "Abandoned" }

interface RunningJob {
  readonly id: number
  readonly event: Deferred.Deferred<JobEvent>
}

interface LiveWorker {
  readonly handle: WorkerHandle
  /** Only `Ready` goes here; answers go straight to the running job's event. */
  readonly ready: Deferred.Deferred<void>
  readonly exited: Deferred.Deferred<string>
  current: RunningJob | undefined
}

type JobOutcome = "keep-worker" | "replace-worker"

const computeError = (reason: ComputeError["reason"], message: string) => new ComputeError({ reason, message })

export const makeWorkerPool = <H extends HandlerTable = ComputeHandlers>(
  options: WorkerPoolOptions
): Effect.Effect<WorkerPool<H>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const callTimeout = Duration.decode(options.callTimeout)
    const startTimeout = Duration.decode(options.startTimeout ?? options.callTimeout)
    const entry = options.entry ?? resolveWorkerEntry()
    const spawn = options.spawn ?? defaultSpawnWorker
    const counters = {
      running: 0, completed: 0, failed: 0, rejectedBusy: 0, timedOut: 0, crashed: 0, workersStarted: 0, malformedReplies: 0
    }
    const aliveWorkers = new Set<LiveWorker>()
    const allStarted = yield* Deferred.make<void>()
    let nextJobId = 0
    const queue = yield* Queue.dropping<Job>(options.queueCapacity)
    // Registered first so it runs last, after the slots are stopped: nobody is left waiting.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        const pending = yield* Queue.takeAll(queue)
        for (const job of pending) yield* Deferred.fail(job.result, computeError("Failed", "the worker pool stopped"))
        yield* Queue.shutdown(queue)
      })
    )

    // Only the spawn is the acquire step of the slot: acquire steps are uninterruptible, and
    // waiting for the worker to load must stay interruptible (it races its exit and a deadline).
    const spawnWorker: Effect.Effect<LiveWorker, ComputeError> = Effect.gen(function* () {
      const live: LiveWorker = {
        handle: undefined as unknown as WorkerHandle,
        ready: yield* Deferred.make<void>(),
        exited: yield* Deferred.make<string>(),
        current: undefined
      }
      const signal = (event: JobEvent) => {
        if (live.current !== undefined) Deferred.unsafeDone(live.current.event, Effect.succeed(event))
      }
      const onMessage = (data: unknown) => {
        const reply = decodeWorkerReply(data)
        if (Option.isNone(reply)) counters.malformedReplies++
        else if (reply.value._tag === "Ready") Deferred.unsafeDone(live.ready, Effect.void)
        else if (live.current !== undefined && reply.value.id === live.current.id) signal({ _tag: "Reply", reply: reply.value })
        else counters.malformedReplies++
      }
      const onExit = (reason: string) => {
        Deferred.unsafeDone(live.exited, Effect.succeed(reason))
        signal({ _tag: "Died", reason })
      }
      const handle = yield* Effect.try({
        try: () => spawn(entry, { onMessage, onExit }),
        catch: (error) => computeError("Failed", `cannot start a worker: ${String(error)}`)
      })
      return Object.assign(live, { handle })
    })

    const awaitReady = (worker: LiveWorker): Effect.Effect<void, ComputeError> => {
      const died = Deferred.await(worker.exited).pipe(Effect.flatMap((reason) => Effect.fail(computeError("Failed", reason))))
      return Effect.raceFirst(Deferred.await(worker.ready), died).pipe(
        Effect.timeoutFail({ duration: startTimeout, onTimeout: () => computeError("Failed", "worker did not start in time") }),
        Effect.andThen(() => {
          counters.workersStarted++
          aliveWorkers.add(worker)
          if (aliveWorkers.size >= options.workers) Deferred.unsafeDone(allStarted, Effect.void)
        })
      )
    }

    /** Completes the caller's result from what ended the job; says whether the worker can stay. */
    const settle = (job: Job, event: JobEvent): Effect.Effect<JobOutcome> => {
      switch (event._tag) {
        case "Reply": {
          const reply = event.reply
          if (reply._tag === "Done") {
            counters.completed++
            return Deferred.succeed(job.result, reply.output).pipe(Effect.as("keep-worker" as const))
          }
          counters.failed++
          const message = reply._tag === "Failed" ? reply.error : "unexpected reply"
          return Deferred.fail(job.result, computeError("Failed", message)).pipe(Effect.as("keep-worker" as const))
        }
        case "Died":
          counters.crashed++
          return Deferred.fail(job.result, computeError("WorkerCrashed", `the worker running the call died (${event.reason}); it was replaced`))
            .pipe(Effect.as("replace-worker" as const))
        case "Abandoned":
          // The computation cannot be cancelled inside the worker: replacing it frees the slot.
          return Effect.succeed("replace-worker" as const)
      }
    }

    // One Deferred per job, completed by worker callbacks or the caller, instead of racing
    // fibers: a race costs several fibers per call, which dominated the cost of small calls.
    const runJob = (worker: LiveWorker, job: Job): Effect.Effect<JobOutcome> =>
      Effect.gen(function* () {
        const running: RunningJob = { id: nextJobId++, event: yield* Deferred.make<JobEvent>() }
        worker.current = running
        job.running = running
        // The caller may have given up just before `running` was set, when it could not signal us.
        if (yield* Deferred.isDone(job.result)) return "keep-worker" as const
        if (yield* Deferred.isDone(worker.exited)) return yield* settle(job, { _tag: "Died", reason: "worker already exited" })
        try {
          worker.handle.post({ id: running.id, op: job.op, input: job.input })
        } catch (error) {
          counters.failed++
          yield* Deferred.fail(job.result, computeError("Failed", `cannot send the call: ${String(error)}`))
          return "keep-worker" as const
        }
        return yield* settle(job, yield* Deferred.await(running.event))
      }).pipe(
        Effect.ensuring(Effect.sync(() => {
          worker.current = undefined
          job.running = undefined
        }))
      )

    const serveJobs = (worker: LiveWorker): Effect.Effect<void> =>
      Effect.gen(function* () {
        for (;;) {
          const job = yield* Queue.take(queue)
          if (yield* Deferred.isDone(job.result)) continue
          counters.running++
          const outcome = yield* runJob(worker, job).pipe(
            Effect.onInterrupt(() => Deferred.fail(job.result, computeError("Failed", "the worker pool stopped"))),
            Effect.ensuring(Effect.sync(() => counters.running--))
          )
          if (outcome === "replace-worker") return
        }
      })

    const slot: Effect.Effect<never> = Effect.acquireUseRelease(
      spawnWorker,
      (worker) => Effect.zipRight(awaitReady(worker), serveJobs(worker)),
      (worker) =>
        Effect.promise(() => worker.handle.terminate()).pipe(
          Effect.andThen(() => {
            aliveWorkers.delete(worker)
          })
        )
    ).pipe(
      Effect.catchAll(() => Effect.sleep(options.restartDelay)),
      Effect.forever
    )
    for (let index = 0; index < options.workers; index++) yield* Effect.forkScoped(slot)

    const run = <Op extends keyof H & string>(op: Op, input: Parameters<H[Op]>[0]) =>
      Effect.gen(function* () {
        if (yield* Queue.isShutdown(queue)) return yield* Effect.fail(computeError("Failed", "the worker pool stopped"))
        const result = yield* Deferred.make<unknown, ComputeError>()
        const job: Job = { op, input, result }
        const accepted = yield* Queue.offer(queue, job)
        if (!accepted) {
          counters.rejectedBusy++
          return yield* Effect.fail(computeError("Busy", `busy: ${options.queueCapacity} calls are already waiting; try again later`))
        }
        const output = yield* Deferred.await(result).pipe(
          Effect.timeoutFail({
            duration: callTimeout,
            onTimeout: () => {
              counters.timedOut++
              return computeError("Timeout", `no answer within ${Duration.format(callTimeout)}`)
            }
          }),
          // Tells a waiting slot to skip the call and a running one to replace its worker.
          Effect.ensuring(
            Effect.flatMap(Deferred.fail(result, computeError("Failed", "the caller went away")), (gaveUp) =>
              gaveUp && job.running !== undefined ? Deferred.succeed(job.running.event, { _tag: "Abandoned" as const }) : Effect.void
            )
          )
        )
        return output as ReturnType<H[Op]>
      })

    const stats = Effect.gen(function* () {
      // Queue.size interrupts its caller once the queue is shut down; stats must still answer.
      const queued = (yield* Queue.isShutdown(queue)) ? 0 : yield* Queue.size(queue)
      return { workers: options.workers, queued: Math.max(0, queued), workersAlive: aliveWorkers.size, ...counters }
    })
    const saturated = Effect.map(stats, (current) => current.running + current.queued >= current.workers)

    return { run, stats, ready: Deferred.await(allStarted), saturated } satisfies WorkerPool<H>
  })
