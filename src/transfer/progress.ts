/**
 * How a sender shows progress: a redrawn bar with rate and ETA on a terminal, plain lines at a
 * slower pace otherwise (logs and pipes should not fill with carriage returns).
 */
import type { TransferProgress } from "./sender.js"

export interface ProgressOutput {
  readonly isTTY?: boolean | undefined
  readonly write: (text: string) => unknown
}

const barWidth = 30
/** Plain lines are written at most this often. */
export const plainLineEveryMs = 1000
/** The terminal bar is redrawn at most this often. */
export const barRedrawEveryMs = 100

const formatRate = (bytesPerSecond: number): string => `${(bytesPerSecond / 1e6).toFixed(1)} MB/s`

const formatSeconds = (seconds: number): string =>
  !Number.isFinite(seconds) ? "?" : seconds < 60 ? `${Math.ceil(seconds)}s` : `${Math.floor(seconds / 60)}m${String(Math.ceil(seconds % 60)).padStart(2, "0")}s`

const rateOf = (progress: TransferProgress): number => (progress.elapsedMs <= 0 ? 0 : (progress.ackedBytes * 1000) / progress.elapsedMs)

export const formatBar = (progress: TransferProgress): string => {
  const fraction = progress.totalBytes === 0 ? 1 : progress.ackedBytes / progress.totalBytes
  const filled = Math.round(fraction * barWidth)
  const rate = rateOf(progress)
  const eta = rate === 0 ? Number.POSITIVE_INFINITY : (progress.totalBytes - progress.ackedBytes) / rate
  return `[${"#".repeat(filled)}${"-".repeat(barWidth - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${formatRate(rate)}  ETA ${formatSeconds(eta)}`
}

export const formatLine = (progress: TransferProgress): string => {
  const percent = progress.totalBytes === 0 ? 100 : Math.floor((progress.ackedBytes * 100) / progress.totalBytes)
  return `sent ${progress.ackedBytes}/${progress.totalBytes} bytes (${percent}%) ${formatRate(rateOf(progress))}`
}

/** A progress callback for `sendFile` and how often to call it; `finish` ends the bar's line. */
export const progressReporter = (output: ProgressOutput) => {
  const terminal = output.isTTY === true
  let drawn = false
  return {
    everyMs: terminal ? barRedrawEveryMs : plainLineEveryMs,
    onProgress: (progress: TransferProgress) => {
      drawn = true
      output.write(terminal ? `\r${formatBar(progress)}` : `${formatLine(progress)}\n`)
    },
    finish: () => {
      if (terminal && drawn) output.write("\n")
    }
  }
}
