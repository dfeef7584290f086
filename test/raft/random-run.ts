/**
 * Randomized cluster runs: hundreds of seeds of drops, duplicates, delays (reordering),
 * partitions and crash/restarts, with the harness's safety checks on every step; then the
 * faults heal and a proposal must commit everywhere (liveness). The failing seed is printed.
 */
import { Cluster, testConfig } from "./harness.js"

interface Issued {
  readonly commitAtIssue: number
}

const maxCommit = (cluster: Cluster): number =>
  Math.max(0, ...cluster.live().map((node) => node.state!.commitIndex))

const randomPartition = (cluster: Cluster): void => {
  const shuffled = [...cluster.ids].sort(() => cluster.random() - 0.5)
  const cut = 1 + Math.floor(cluster.random() * (shuffled.length - 1))
  cluster.partition(shuffled.slice(0, cut), shuffled.slice(cut))
}

const chaosStep = (cluster: Cluster): void => {
  const roll = cluster.random()
  if (roll < 0.004) {
    const live = cluster.live()
    const victim = live[Math.floor(cluster.random() * live.length)]
    if (victim !== undefined) cluster.crash(victim.id)
  } else if (roll < 0.012) {
    const down = [...cluster.nodes.values()].filter((node) => node.state === undefined)
    const back = down[Math.floor(cluster.random() * down.length)]
    if (back !== undefined) cluster.restart(back.id)
  } else if (roll < 0.016) {
    randomPartition(cluster)
  } else if (roll < 0.024) {
    cluster.heal()
  }
}

export interface SeedReport {
  readonly committed: number
  readonly leaderTerms: number
  readonly snapshotsInstalled: number
  readonly readsAnswered: number
}

export const runSeed = (seed: number, chaosTicks: number): SeedReport => {
  const size = seed % 2 === 0 ? 3 : 5
  const cluster = new Cluster({
    size,
    seed,
    config: testConfig({ maxInflightAppends: 1 + (seed % 4) }),
    faults: { dropRate: (seed % 5) * 0.03, duplicateRate: (seed % 3) * 0.03, maxDelayTicks: seed % 4 },
    compactEvery: seed % 3 === 0 ? 0 : 10 + (seed % 17),
    crashBeforeSendRate: seed % 7 === 0 ? 0.0005 : 0,
    lazyLeaderWriteTicks: seed % 4 === 1 ? 0 : 4 * (seed % 3)
  })
  const proposals: Array<{ term: number; index: number; data: string }> = []
  const reads = new Map<number, Issued>()
  let requestId = 0
  let snapshotsInstalled = 0
  let readsAnswered = 0
  cluster.onOutput = (id, output) => {
    if (output.applySnapshot !== undefined) snapshotsInstalled++
    readsAnswered += output.readsReady.length
    for (const ready of output.readsReady) {
      const issued = reads.get(ready.requestId)
      if (issued === undefined) return cluster.fail(`read ${ready.requestId} answered twice or never issued`)
      if (ready.index < issued.commitAtIssue) {
        cluster.fail(`stale read: index ${ready.index} < commit ${issued.commitAtIssue} when issued`)
      }
      if (ready.index > cluster.stateOf(id).commitIndex) cluster.fail(`read index ${ready.index} beyond commit`)
      reads.delete(ready.requestId)
    }
    for (const failed of output.readsFailed) reads.delete(failed.requestId)
  }
  const propose = (leader: string, data: string): void => {
    const accepted = cluster.stepNode(leader, { _tag: "Propose", data: [data] }).proposed
    if (accepted !== undefined) proposals.push({ term: accepted.term, index: accepted.firstIndex, data })
  }
  for (let tick = 0; tick < chaosTicks; tick++) {
    chaosStep(cluster)
    const leader = cluster.leader()
    if (leader !== undefined && cluster.random() < 0.15) propose(leader, `s${seed}-${tick}`)
    if (leader !== undefined && cluster.random() < 0.05) {
      reads.set(++requestId, { commitAtIssue: maxCommit(cluster) })
      cluster.stepNode(leader, { _tag: "ReadIndex", requestIds: [requestId] })
    }
    cluster.tick()
    if (tick % 200 === 0) cluster.checkLogMatching()
  }
  // Heal everything; a new proposal must then commit on every node.
  cluster.heal()
  for (const id of cluster.ids) cluster.restart(id)
  cluster.faults = { dropRate: 0, duplicateRate: 0, maxDelayTicks: 0 }
  cluster.crashBeforeSendRate = 0
  // A proposal can still be lost if its leader is deposed at once: retry until one commits.
  let finalIndex = 0
  const allApplied = (index: number) => () => cluster.live().every((node) => node.machine.applied.length >= index)
  for (let attempt = 0; attempt < 10 && finalIndex === 0; attempt++) {
    if (!cluster.runUntil(() => cluster.leader() !== undefined, 400)) cluster.fail(`no leader after healing: ${cluster.summary()}`)
    const data = `final-${seed}-${attempt}`
    const accepted = cluster.stepNode(cluster.leader()!, { _tag: "Propose", data: [data] }).proposed
    if (accepted === undefined || !cluster.runUntil(allApplied(accepted.firstIndex), 600)) continue
    if (cluster.applied.get(accepted.firstIndex)?.data === data) finalIndex = accepted.firstIndex
  }
  if (finalIndex === 0) cluster.fail(`no proposal committed everywhere after healing: ${cluster.summary()}`)
  cluster.checkLogMatching()
  for (const proposal of proposals) {
    const applied = cluster.applied.get(proposal.index)
    if (applied !== undefined && applied.term === proposal.term && applied.data !== proposal.data) {
      cluster.fail(`proposal at ${proposal.index} term ${proposal.term} reported for ${proposal.data}, applied ${applied.data}`)
    }
  }
  return { committed: finalIndex, leaderTerms: cluster.leaders.size, snapshotsInstalled, readsAnswered }
}
