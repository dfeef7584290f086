/**
 * Worker entry for the compute actors. The pool loads this file in each worker thread; see
 * worker-host.ts for how its path is found from sources, from dist/ and from a bundle.
 */
import { computeHandlers } from "../../actors/compute.js"
import { serveWorker } from "./worker-runtime.js"

serveWorker(computeHandlers)
