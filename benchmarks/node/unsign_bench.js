'use strict'

// Node baseline for sessio's resolve benchmark: for each Cookie header, do exactly what
// express-session 1.19 does in getcookie()/unsigncookie(), with the same module versions.
//
// usage: node unsign_bench.js HEADERS_FILE SECRET [RUNS=5] [WARMUP=2]
//   HEADERS_FILE: one HTTP Cookie header value per line
// prints one JSON line:
//   {"headers": N, "ok": count, "median_ns_per_header": X, "runs_ns_per_header": [...]}

const fs = require('fs')
const cookie = require('cookie')
const signature = require('cookie-signature')

const NAME = 'connect.sid'

function usage(message) {
  process.stderr.write(`${message}\nusage: node unsign_bench.js HEADERS_FILE SECRET [RUNS=5] [WARMUP=2]\n`)
  process.exit(2)
}

function positiveInt(raw, fallback, what) {
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1) usage(`${what} must be a positive integer, got ${JSON.stringify(raw)}`)
  return n
}

const [path, secret] = [process.argv[2], process.argv[3]]
if (!path || secret === undefined) usage('HEADERS_FILE and SECRET are required')
const runs = positiveInt(process.argv[4], 5, 'RUNS')
const warmup = positiveInt(process.argv[5], 2, 'WARMUP')

const headers = fs.readFileSync(path, 'utf8').split(/\r?\n/)
if (headers.length > 0 && headers[headers.length - 1] === '') headers.pop()
if (headers.length === 0) usage(`${path} holds no headers`)

const secrets = [secret]

// express-session's unsigncookie(): first secret that verifies wins.
function unsigncookie(val) {
  for (let i = 0; i < secrets.length; i++) {
    const result = signature.unsign(val, secrets[i])
    if (result !== false) return result
  }
  return false
}

// express-session's getcookie(), header branch: cookie.parse decodes values containing '%'.
function sessionId(header) {
  const raw = cookie.parse(header)[NAME]
  if (raw && raw.substr(0, 2) === 's:') {
    const val = unsigncookie(raw.slice(2))
    if (val !== false) return val
  }
  return undefined
}

function pass() {
  let ok = 0
  for (let i = 0; i < headers.length; i++) {
    if (sessionId(headers[i]) !== undefined) ok++
  }
  return ok
}

let ok = -1
for (let i = 0; i < warmup; i++) ok = pass()

const perHeader = []
for (let i = 0; i < runs; i++) {
  const start = process.hrtime.bigint()
  const count = pass()
  const elapsed = process.hrtime.bigint() - start
  if (count !== ok) throw new Error(`run ${i} counted ${count} successes, warm-up counted ${ok}`)
  perHeader.push(Number(elapsed) / headers.length)
}

const sorted = [...perHeader].sort((a, b) => a - b)
const mid = sorted.length >> 1
const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
const round = (x) => Math.round(x * 10) / 10

process.stdout.write(
  JSON.stringify({
    headers: headers.length,
    ok,
    median_ns_per_header: round(median),
    runs_ns_per_header: perHeader.map(round),
  }) + '\n',
)
