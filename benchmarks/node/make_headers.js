'use strict'

// Writes N Cookie header lines for unsign_bench.js (and the Python side of the benchmark),
// signed by the real cookie-signature module. Mix, by line index i % 10:
//   0-6 valid, URI-encoded as express-session sets it, between other cookies
//   7   valid sid with one signature character changed (bad signature)
//   8   unsigned sid (express-session ignores it)
//   9   valid, not URI-encoded ("s:" raw), no spaces after ";"
// So exactly 8 of every 10 lines verify.
//
// usage: node make_headers.js N SECRET > headers.txt

const crypto = require('crypto')
const signature = require('cookie-signature')

const n = Number(process.argv[2])
const secret = process.argv[3]
if (!Number.isInteger(n) || n < 1 || secret === undefined) {
  process.stderr.write('usage: node make_headers.js N SECRET > headers.txt\n')
  process.exit(2)
}

// uid-safe's sync(24), as express-session's genid: 24 random bytes, base64url.
const newSid = () => crypto.randomBytes(24).toString('base64url')

function tamper(signed) {
  const dot = signed.lastIndexOf('.')
  const i = dot + 5
  const c = signed[i] === 'A' ? 'B' : 'A'
  return signed.slice(0, i) + c + signed.slice(i + 1)
}

const lines = []
for (let i = 0; i < n; i++) {
  const sid = newSid()
  const signed = 's:' + signature.sign(sid, secret)
  switch (i % 10) {
    case 7:
      lines.push(`_ga=GA1.2.3; connect.sid=${encodeURIComponent(tamper(signed))}`)
      break
    case 8:
      lines.push(`connect.sid=${sid}; theme=dark`)
      break
    case 9:
      lines.push(`a=1;b=2;connect.sid=${signed}`)
      break
    default:
      lines.push(`foo=bar; connect.sid=${encodeURIComponent(signed)}; x=y`)
  }
}
process.stdout.write(lines.join('\n') + '\n')
