/**
 * The bare node:http baseline: the cheapest possible answer, to show what this machine and
 * load generator can do at all. Run by baseline.ts as a child process
 * (`node --import tsx bench/lib/baseline-server.ts HOST PORT`); prints "listening" when ready.
 */
import * as http from "node:http"

const [host = "127.0.0.1", port = "0"] = process.argv.slice(2)
const body = Buffer.from("k=v")
const server = http.createServer({ keepAlive: true }, (_request, response) => {
  response.writeHead(200, { "content-type": "text/plain; charset=utf-8", "content-length": body.length })
  response.end(body)
})
server.listen(Number(port), host, () => process.stdout.write("listening\n"))
process.on("SIGTERM", () => server.close(() => process.exit(0)))
