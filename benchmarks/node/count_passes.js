'use strict'

// One process, PASSES loops over the first N headers of a file, as unsign_bench.js does them,
// untimed: for counting instructions under callgrind (benchmarks/resolve_vs_node.py
// --instructions), where the difference between two pass counts is the steady-state cost.
//
// usage: node count_passes.js HEADERS_FILE SECRET PASSES

const fs = require('fs')
const cookie = require('cookie')
const signature = require('cookie-signature')

const [file, secret, passesArg] = process.argv.slice(2)
const headers = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean)
const passes = Number(passesArg)
let ok = 0
for (let p = 0; p < passes; p++) {
  for (const header of headers) {
    const raw = cookie.parse(header)['connect.sid']
    if (raw && raw.substr(0, 2) === 's:' && signature.unsign(raw.slice(2), secret) !== false) {
      ok++
    }
  }
}
process.stdout.write(JSON.stringify({ headers: headers.length, passes, ok }) + '\n')
