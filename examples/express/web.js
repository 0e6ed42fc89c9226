'use strict'

// An Express app with express-session + connect-redis, and a Python socket.io server (sessio)
// that shares its sessions. One command, one port: this process serves the web app on PORT,
// starts socket_server.py on a private port, and passes /socket.io/ (polling and websocket)
// on to it. In production a reverse proxy (nginx, a load balancer) does that routing.
//
//   npm ci --prefix examples/express && node examples/express/web.js
//
// Environment: PORT (8000), REDIS_URL (redis://localhost:6379/0), PYTHON (the Python with
// sessio installed: .venv/bin/python of this checkout when it exists, else python3).

const { spawn } = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const http = require('node:http')
const net = require('node:net')
const path = require('node:path')
const express = require('express')
const session = require('express-session')
const { RedisStore } = require('connect-redis')
const { createClient } = require('redis')

const PORT = Number(process.env.PORT || 8000)
const REDIS_URL = process.env.REDIS_URL || 'redis://localhost:6379/0'
const SECRET = 'change me' // the same secret goes to formats.express(secrets=[...])
const venv = path.join(__dirname, '..', '..', '.venv', 'bin', 'python')
const PYTHON = process.env.PYTHON || (fs.existsSync(venv) ? venv : 'python3')

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer()
    probe.on('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
}

// Resolves once the Python server says it listens; rejects if it exits first.
function startSockets(port) {
  const child = spawn(PYTHON, [path.join(__dirname, 'socket_server.py')], {
    env: { ...process.env, SOCKET_PORT: String(port), REDIS_URL },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk)
      if (String(chunk).includes('listening')) resolve(child)
    })
    child.on('exit', (code) => reject(new Error(`socket_server.py exited with ${code}`)))
  })
}

// /socket.io/ requests, as they came, to the Python server: plain HTTP (long-polling) ...
function proxyRequest(socketPort) {
  return (req, res) => {
    const upstream = http.request(
      { host: '127.0.0.1', port: socketPort, method: req.method, path: req.originalUrl, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode, answer.headers)
        answer.pipe(res)
      },
    )
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  }
}

// ... and websocket upgrades, byte for byte once the upgrade request is passed on.
function proxyUpgrade(socketPort) {
  return (req, socket, head) => {
    const upstream = net.connect(socketPort, '127.0.0.1', () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`]
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`)
      upstream.write(lines.join('\r\n') + '\r\n\r\n')
      upstream.write(head)
      socket.pipe(upstream).pipe(socket)
    })
    upstream.on('error', () => socket.destroy())
    socket.on('error', () => upstream.destroy())
  }
}

async function main() {
  const client = createClient({ url: REDIS_URL })
  await client.connect()
  const socketPort = await freePort()
  const sockets = await startSockets(socketPort)

  const app = express()
  app.use('/socket.io', proxyRequest(socketPort))
  app.use(
    session({
      store: new RedisStore({ client }), // prefix "sess:", as formats.express(prefix=...)
      secret: SECRET,
      resave: false,
      saveUninitialized: false,
    }),
  )
  app.get('/login', (req, res) => {
    req.session.user = String(req.query.user)
    req.session.save(() => res.json({ user: req.session.user }))
  })
  app.get('/logout', (req, res) => {
    const id = req.sessionID
    req.session.destroy(async () => {
      // What sessio's revoke() publishes: every sessio server disconnects the session's sockets.
      const room = 'sessio:' + crypto.createHash('sha256').update(id).digest('hex').slice(0, 32)
      await client.publish('sessio:control', JSON.stringify({ op: 'disconnect', room, reason: 'session-revoked' }))
      res.clearCookie('connect.sid').json({ user: null })
    })
  })
  app.get('/whoami', (req, res) => {
    const { cookie, ...data } = req.session
    res.json(data)
  })

  const server = app.listen(PORT, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${PORT}`))
  server.on('upgrade', (req, socket, head) =>
    req.url.startsWith('/socket.io/') ? proxyUpgrade(socketPort)(req, socket, head) : socket.destroy(),
  )
  const stop = () => {
    sockets.kill('SIGTERM')
    server.closeAllConnections()
    server.close()
    client.quit().finally(() => process.exit(0))
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
