// Socket.IO's own recipe for the HTTP session on a socket, for benchmarks/node_recipe.py.
//
// Usage: node recipe_server.js bare|memory|redis [REDIS_URL]
//
// bare:   a socket.io 4 server alone, with a "ping" handler that acknowledges its argument.
// memory: the same, plus the recipe of socket.io's guide "How to use with express-session":
//         io.engine.use(session({...})) so that every engine.io request (the handshake, the
//         websocket upgrade) runs express-session, with express-session's MemoryStore.
// redis:  the same recipe with connect-redis on the redis-server at REDIS_URL.
//
// With a session, the "connection" handler disconnects a socket whose session has no user
// (what an app does with the recipe; sessio's benchmark servers refuse a connect without a
// session the same way). The server mints one session for alice into its store, binds a free
// port of 127.0.0.1 and prints "READY <port> <cookie>".
"use strict";

const http = require("node:http");
const crypto = require("node:crypto");
const { Server } = require("socket.io");
const session = require("express-session");
const signature = require("cookie-signature");

const SECRET = "keyboard cat";
const [kind, redisUrl] = process.argv.slice(2);

async function makeStore() {
  if (kind === "memory") {
    return new session.MemoryStore();
  }
  const { createClient } = require("redis");
  const { RedisStore } = require("connect-redis");
  const client = createClient({ url: redisUrl });
  await client.connect();
  return new RedisStore({ client });
}

// Put a session for alice in `store` as express-session would after a login; its cookie.
function mint(store) {
  const sid = crypto.randomBytes(24).toString("base64url");
  const record = {
    cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: "/" },
    user: "alice",
  };
  return new Promise((resolve, reject) => {
    store.set(sid, record, (err) => {
      if (err) reject(err);
      else resolve(`connect.sid=${encodeURIComponent(`s:${signature.sign(sid, SECRET)}`)}`);
    });
  });
}

async function main() {
  if (!["bare", "memory", "redis"].includes(kind)) {
    throw new Error(`usage: node recipe_server.js bare|memory|redis [REDIS_URL], not ${kind}`);
  }
  const server = http.createServer();
  const io = new Server(server);
  let cookie = "connect.sid=none";
  if (kind === "bare") {
    io.on("connection", (socket) => {
      socket.on("ping", (data, ack) => ack(data));
    });
  } else {
    const store = await makeStore();
    // The guide's options (resave and saveUninitialized true); on a websocket upgrade
    // engine.io never ends the response, so express-session reads and never writes.
    const sessionMiddleware = session({
      secret: SECRET,
      resave: true,
      saveUninitialized: true,
      store,
    });
    io.engine.use(sessionMiddleware);
    io.on("connection", (socket) => {
      if (!socket.request.session.user) {
        socket.disconnect(true);
        return;
      }
      socket.on("ping", (data, ack) => ack(data));
    });
    cookie = await mint(store);
  }
  server.listen(0, "127.0.0.1", () => {
    process.stdout.write(`READY ${server.address().port} ${cookie}\n`);
  });
  process.on("SIGTERM", () => process.exit(0));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
