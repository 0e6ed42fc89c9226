'use strict'

// Signs session ids the way express-session's setcookie() does, so Python tests and benchmarks
// can use cookies made by the real Node module rather than by sessio's own code.
//
// usage: node sign.js SECRET < sids.txt
// stdin: one sid per line; stdout: one connect.sid cookie value per line,
//   encodeURIComponent('s:' + signature.sign(sid, SECRET))   (e.g. s%3A<sid>.<sig>)

const readline = require('readline')
const signature = require('cookie-signature')

const secret = process.argv[2]
if (secret === undefined) {
  process.stderr.write('usage: node sign.js SECRET < sids.txt\n')
  process.exit(2)
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
const out = []
rl.on('line', (sid) => {
  out.push(encodeURIComponent('s:' + signature.sign(sid, secret)))
  if (out.length >= 4096) process.stdout.write(out.splice(0).join('\n') + '\n')
})
rl.on('close', () => {
  if (out.length) process.stdout.write(out.join('\n') + '\n')
})
