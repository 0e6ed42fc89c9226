'use strict'

// A real Express + express-session + connect-redis app, so that sessio's interop tests
// exercise cookies and store entries produced by the Node packages themselves.
//
// Environment:
//   REDIS_URL   redis://127.0.0.1:PORT (required)
//   SECRETS     JSON array of secrets: the first signs, all verify (required)
//   PREFIX      connect-redis key prefix (default "sess:")
//   MAX_AGE_MS  cookie.maxAge in ms; unset or empty means a browser-session cookie (expires null)
//   PORT        port to listen on, 0 (default) for a free one
//
// Prints exactly one line "LISTENING <port>" on stdout once it accepts connections.

const crypto = require('crypto')
const express = require('express')
const session = require('express-session')
const { RedisStore } = require('connect-redis')
const { createClient } = require('redis')

// --- sessio's layouts, as docs/tickets.md and docs/control-channel.md give them ------------

const CONTROL_CHANNEL = 'sessio:control'

// A socket ticket for the session cookie value the request carried.
async function issueTicket(client, cookieName, cookieValue, ttl = 30) {
  const ticket = crypto.randomBytes(32).toString('base64url')
  const key = 'sessioticket' + crypto.createHash('sha256').update(ticket).digest('hex').slice(0, 28)
  const kept = Math.ceil(ttl) + 60
  const record = { v: 1, name: cookieName, cookie: cookieValue, expires: Date.now() / 1000 + ttl, _session_expiry: kept }
  await client.set(key, JSON.stringify(record), { EX: kept })
  return ticket
}

function sessionRoom(sessionId) {
  return 'sessio:' + crypto.createHash('sha256').update(sessionId).digest('hex').slice(0, 32)
}

// The new id sealed under the old one: an HMAC-SHA256 key stream, and a 16-byte tag.
function rotateMessage(oldId, newId) {
  const plain = Buffer.from(newId, 'utf8')
  const blocks = []
  for (let i = 0; i * 32 < plain.length; i++) {
    const info = Buffer.concat([Buffer.from('sessio/rotate/stream/'), Buffer.from([i])])
    blocks.push(crypto.createHmac('sha256', oldId).update(info).digest())
  }
  const stream = Buffer.concat(blocks)
  const sealed = Buffer.from(plain.map((byte, i) => byte ^ stream[i]))
  const tag = crypto.createHmac('sha256', oldId).update(Buffer.concat([Buffer.from('sessio/rotate/tag/'), plain])).digest().subarray(0, 16)
  return JSON.stringify({ v: 1, op: 'rotate', room: sessionRoom(oldId), sealed: sealed.toString('base64url'), tag: tag.toString('base64url') })
}

function disconnectMessage(sessionId, reason = 'session-revoked') {
  return JSON.stringify({ v: 1, op: 'disconnect', room: sessionRoom(sessionId), reason })
}

function requestCookie(req, name) {
  for (const piece of (req.headers.cookie || '').split(';')) {
    const at = piece.indexOf('=')
    if (at > 0 && piece.slice(0, at).trim() === name) return piece.slice(at + 1).trim()
  }
  return undefined
}

function fail(message) {
  process.stderr.write(`express_app: ${message}\n`)
  process.exit(2)
}

function readSecrets() {
  const raw = process.env.SECRETS
  if (!raw) fail('SECRETS must be set to a JSON array of strings')
  let secrets
  try {
    secrets = JSON.parse(raw)
  } catch (err) {
    fail(`SECRETS is not valid JSON: ${err.message}`)
  }
  if (!Array.isArray(secrets) || secrets.length === 0 || !secrets.every((s) => typeof s === 'string' && s)) {
    fail('SECRETS must be a non-empty JSON array of non-empty strings')
  }
  return secrets
}

function readMaxAge() {
  const raw = process.env.MAX_AGE_MS
  if (raw === undefined || raw === '') return undefined
  const n = Number(raw)
  if (!Number.isFinite(n)) fail(`MAX_AGE_MS must be a number, got ${JSON.stringify(raw)}`)
  return n
}

// Query values arrive as strings; a value that parses as JSON is stored as what it parses to,
// so tests can put numbers, booleans, objects and arrays into the session.
function parseValue(raw) {
  try {
    return JSON.parse(raw)
  } catch {
    return raw
  }
}

function queryString(req, name) {
  const v = req.query[name]
  return typeof v === 'string' ? v : undefined
}

async function main() {
  const redisUrl = process.env.REDIS_URL
  if (!redisUrl) fail('REDIS_URL must be set, e.g. redis://127.0.0.1:6380')
  const secrets = readSecrets()
  const prefix = process.env.PREFIX === undefined ? 'sess:' : process.env.PREFIX
  const maxAge = readMaxAge()
  const port = process.env.PORT === undefined || process.env.PORT === '' ? 0 : Number(process.env.PORT)

  const client = createClient({ url: redisUrl })
  client.on('error', (err) => process.stderr.write(`express_app: redis error: ${err.message}\n`))
  await client.connect()

  const cookie = {}
  if (maxAge !== undefined) cookie.maxAge = maxAge

  const app = express()
  app.set('query parser', 'simple')
  app.use(
    session({
      store: new RedisStore({ client, prefix }),
      secret: secrets,
      resave: false,
      saveUninitialized: false,
      cookie,
    }),
  )

  const save = (req, res, body) =>
    req.session.save((err) => {
      if (err) return res.status(500).json({ error: String(err) })
      res.json(body)
    })

  app.get('/login', (req, res) => {
    const user = queryString(req, 'user')
    if (user === undefined) return res.status(400).json({ error: 'user is required' })
    req.session.user = user
    save(req, res, { sid: req.sessionID })
  })

  // A passport-style login (passport keeps the user under req.session.passport.user) that
  // registers the session in sessio's user index, as README.md shows: ZADD with the
  // session's deadline, and the set's expiry moved to the same lifetime.
  app.get('/passport-login', async (req, res) => {
    const user = queryString(req, 'user')
    if (user === undefined) return res.status(400).json({ error: 'user is required' })
    req.session.passport = { user }
    const ttl = maxAge === undefined ? 86400 : Math.ceil(maxAge / 1000) // connect-redis's TTL
    const digest = crypto.createHash('sha256').update(`sessio-user\0${user}`).digest('hex').slice(0, 32)
    const index = `sessio:user:${digest}:sessions`
    await client.multi().zAdd(index, { score: Date.now() / 1000 + ttl, value: req.sessionID }).expire(index, ttl).exec()
    save(req, res, { sid: req.sessionID })
  })

  app.get('/whoami', (req, res) => {
    if (req.session.user === undefined) return res.status(401).json({ session: null })
    res.json({ session: req.session })
  })

  app.get('/set', (req, res) => {
    const key = queryString(req, 'key')
    const value = queryString(req, 'value')
    if (key === undefined || value === undefined) return res.status(400).json({ error: 'key and value are required' })
    if (key === 'cookie') return res.status(400).json({ error: 'key "cookie" is reserved by express-session' })
    req.session[key] = parseValue(value)
    save(req, res, { sid: req.sessionID, key, value: req.session[key] })
  })

  app.get('/get', (req, res) => {
    const key = queryString(req, 'key')
    if (key === undefined) return res.status(400).json({ error: 'key is required' })
    const value = req.session[key]
    res.json({ sid: req.sessionID, key, value: value === undefined ? null : value })
  })

  app.get('/logout', (req, res) => {
    const sid = req.sessionID
    req.session.destroy(async (err) => {
      if (err) return res.status(500).json({ error: String(err) })
      // ?publish=1: tell every sessio node, as sessio's revoke does.
      if (queryString(req, 'publish')) await client.publish(CONTROL_CHANNEL, disconnectMessage(sid))
      res.json({ sid, destroyed: true })
    })
  })

  // A socket ticket for this request's session (the cookie as the request carried it).
  app.get('/ticket', async (req, res) => {
    if (req.session.user === undefined) return res.status(401).json({ error: 'not logged in' })
    const ticket = await issueTicket(client, 'connect.sid', requestCookie(req, 'connect.sid'))
    res.json({ ticket })
  })

  // A login that regenerates the session, then tells sessio's nodes to follow.
  app.get('/regenerate', (req, res) => {
    const user = queryString(req, 'user')
    const old = req.sessionID
    req.session.regenerate((err) => {
      if (err) return res.status(500).json({ error: String(err) })
      req.session.user = user
      req.session.save(async (err) => {
        if (err) return res.status(500).json({ error: String(err) })
        await client.publish(CONTROL_CHANNEL, rotateMessage(old, req.sessionID))
        res.json({ old, sid: req.sessionID })
      })
    })
  })

  const server = app.listen(port, '127.0.0.1', () => {
    process.stdout.write(`LISTENING ${server.address().port}\n`)
  })
  server.on('error', (err) => fail(`listen failed: ${err.message}`))

  const shutdown = () => {
    server.close()
    server.closeAllConnections()
    client.quit().finally(() => process.exit(0))
  }
  process.on('SIGTERM', shutdown)
  process.on('SIGINT', shutdown)
}

main().catch((err) => fail(err && err.stack ? err.stack : String(err)))
