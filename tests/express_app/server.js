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
    req.session.destroy((err) => {
      if (err) return res.status(500).json({ error: String(err) })
      res.json({ sid, destroyed: true })
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
