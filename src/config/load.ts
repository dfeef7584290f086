/**
 * Loading the configuration: defaults, then an optional JSON file (deep-merged), then
 * environment (`TROUPE_SECRET`, `TROUPE_CLUSTER_ID`, `TROUPE_CONFIG_JSON` as a JSON object to
 * merge), then flags given by the caller as a partial object. A bad value fails with a
 * `ConfigError` naming the source and the path of the problem.
 */
import * as fs from "node:fs"
import { Data, Either, ParseResult } from "effect"
import defaults from "../../config/default.json" with { type: "json" }
import { decodeConfig, type TroupeConfig } from "../../config/schema.js"

export class ConfigError extends Data.TaggedError("ConfigError")<{
  readonly source: string
  readonly line?: number
  readonly problem: string
}> {
  override get message(): string {
    return `${this.source}${this.line === undefined ? "" : `:${this.line}`}: ${this.problem}`
  }
}

type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

const isObject = (value: unknown): value is Record<string, Json> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

export const deepMerge = (base: Json, override: Json): Json => {
  if (!isObject(base) || !isObject(override)) return override
  const merged: Record<string, Json> = { ...base }
  for (const [key, value] of Object.entries(override)) {
    const existing = merged[key]
    merged[key] = existing === undefined ? value : deepMerge(existing, value)
  }
  return merged
}

const decodeOrFail = (source: string, input: unknown): Either.Either<TroupeConfig, ConfigError> =>
  Either.mapLeft(
    decodeConfig(input),
    (error) => new ConfigError({ source, problem: ParseResult.TreeFormatter.formatErrorSync(error) })
  )

/** The built-in defaults, decoded (used by tests and sims). */
export const defaultConfig = (): TroupeConfig => Either.getOrThrow(decodeOrFail("config/default.json", defaults))

const parseJsonFile = (file: string): Either.Either<Json, ConfigError> => {
  let text: string
  try {
    text = fs.readFileSync(file, "utf8")
  } catch (error) {
    return Either.left(new ConfigError({ source: file, problem: `cannot read: ${(error as Error).message}` }))
  }
  try {
    return Either.right(JSON.parse(text) as Json)
  } catch (error) {
    return Either.left(new ConfigError({ source: file, problem: `not valid JSON: ${(error as Error).message}` }))
  }
}

export interface ConfigSources {
  readonly file?: string | undefined
  readonly env?: NodeJS.ProcessEnv | undefined
  readonly overrides?: Json | undefined
}

/** Builds the effective configuration from every source; the last source wins. */
export const loadConfig = (sources: ConfigSources = {}): Either.Either<TroupeConfig, ConfigError> => {
  let merged: Json = defaults as Json
  let source = "config/default.json"
  if (sources.file !== undefined) {
    const fromFile = parseJsonFile(sources.file)
    if (Either.isLeft(fromFile)) return Either.left(fromFile.left)
    merged = deepMerge(merged, fromFile.right)
    source = sources.file
  }
  const env = sources.env ?? {}
  if (env.TROUPE_CONFIG_JSON !== undefined && env.TROUPE_CONFIG_JSON !== "") {
    try {
      merged = deepMerge(merged, JSON.parse(env.TROUPE_CONFIG_JSON) as Json)
      source = "TROUPE_CONFIG_JSON"
    } catch (error) {
      return Either.left(new ConfigError({ source: "TROUPE_CONFIG_JSON", problem: `not valid JSON: ${(error as Error).message}` }))
    }
  }
  if (env.TROUPE_SECRET !== undefined && env.TROUPE_SECRET !== "") merged = deepMerge(merged, { secret: env.TROUPE_SECRET })
  if (env.TROUPE_CLUSTER_ID !== undefined && env.TROUPE_CLUSTER_ID !== "") {
    merged = deepMerge(merged, { clusterId: env.TROUPE_CLUSTER_ID })
  }
  if (sources.overrides !== undefined) merged = deepMerge(merged, sources.overrides)
  return decodeOrFail(source, merged)
}
