// A small Socket.IO client for sessio's demo page: Socket.IO protocol 5 over Engine.IO 4, on
// the browser's own WebSocket. It is what the page needs and no more: the default namespace,
// JSON events, acknowledgements both ways, connect errors, ping/pong, and disconnects with
// the reasons the official client gives, `auth` as an object or as a callback, and
// reconnection after a lost transport (as the official client: not after the server or the
// client disconnected on purpose). No polling, no binary packets.
//
// Why not the official client? The demo must run from `pip install 'sessio[demo]'` alone:
// no npm, no CDN. The official socket.io-client is tested against both of sessio's shells
// in a real browser in CI (tests/browser/test_official_client.py).
//
// Protocol facts, from https://socket.io/docs/v4/engine-io-protocol/ (v4) and
// https://socket.io/docs/v4/socket-io-protocol/ (v5):
// * Engine.IO packets are one text frame each, type first: 0 open (JSON: sid, pingInterval,
//   pingTimeout), 1 close, 2 ping, 3 pong, 4 message. The server pings; the client answers.
// * A message carries a Socket.IO packet, type first: 0 CONNECT, 1 DISCONNECT, 2 EVENT,
//   3 ACK, 4 CONNECT_ERROR; then the namespace with a comma (omitted for "/"), then an ack
//   id (digits), then JSON: EVENT ["name", ...args], ACK [...args], CONNECT {sid},
//   CONNECT_ERROR {message, data}.
"use strict";

class SessioSocket {
  // `auth`: an object, or a callback `(cb) => cb(object)` called before every (re)connect
  // (the official client's option: a fresh socket ticket each time).
  constructor(url = location.href, { timeout = 5000, auth = null, reconnection = true } = {}) {
    const base = new URL(url);
    base.protocol = base.protocol === "https:" ? "wss:" : "ws:";
    base.pathname = "/socket.io/";
    base.search = "?EIO=4&transport=websocket";
    this.url = base.href;
    this.timeout = timeout;
    this.auth = auth;
    this.reconnection = reconnection;
    this.attempts = 0; // reconnection attempts since the last connect
    this.id = null;
    this.connected = false;
    this.handlers = new Map();
    this.acks = new Map();
    this.nextAck = 0;
    this.ws = null;
  }

  on(event, handler) {
    if (!this.handlers.has(event)) this.handlers.set(event, []);
    this.handlers.get(event).push(handler);
    return this;
  }

  fire(event, ...args) {
    for (const handler of this.handlers.get(event) || []) handler(...args);
    return this.handlers.has(event);
  }

  connect(auth = this.auth) {
    const ws = new WebSocket(this.url); // the browser sends its cookies for that site
    this.ws = ws;
    this.over = false;
    this.stopped = false;
    // A replaced transport's late events are not this connection's.
    ws.onmessage = (frame) => { if (this.ws === ws) this.receive(String(frame.data), auth); };
    ws.onclose = () => { if (this.ws === ws) this.end("transport close"); };
    ws.onerror = () => this.fire("error", new Error("websocket error"));
    return this;
  }

  send(text) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
  }

  receive(text, auth) {
    const type = text[0];
    if (type === "0") {
      const hello = (data) => this.send("40" + (data ? JSON.stringify(data) : ""));
      if (typeof auth === "function") auth(hello);
      else hello(auth);
    } else if (type === "2") {
      this.send("3");
    } else if (type === "1") {
      this.end("transport close");
    } else if (type === "4") {
      this.packet(text.slice(1));
    }
  }

  packet(text) {
    const type = text[0];
    let rest = text.slice(1);
    if (rest.startsWith("/")) rest = rest.slice(rest.indexOf(",") + 1); // only "/" is used
    const digits = /^\d*/.exec(rest)[0];
    const id = digits === "" ? null : Number(digits);
    const body = rest.slice(digits.length);
    const data = body ? JSON.parse(body) : null;
    if (type === "0") {
      this.id = data.sid;
      this.connected = true;
      this.attempts = 0;
      this.fire("connect");
    } else if (type === "1") {
      this.end("io server disconnect");
    } else if (type === "2") {
      const [event, ...args] = data;
      if (id !== null) args.push((...reply) => this.send("43" + id + JSON.stringify(reply)));
      this.fire(event, ...args);
    } else if (type === "3") {
      const settle = this.acks.get(id);
      this.acks.delete(id);
      if (settle) settle(data);
    } else if (type === "4") {
      const error = new Error(data && data.message);
      error.data = data && data.data; // with require_session: exactly {code: ...}
      this.fire("connect_error", error);
      this.end(null);
    }
  }

  emit(event, ...args) {
    this.send("42" + JSON.stringify([event, ...args]));
  }

  // Emit and wait for the handler's return value (an acknowledgement).
  call(event, ...args) {
    const id = this.nextAck++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.acks.delete(id);
        reject(new Error(`no answer to ${event} within ${this.timeout} ms`));
      }, this.timeout);
      this.acks.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply.length <= 1 ? reply[0] : reply);
      });
      this.send("42" + id + JSON.stringify([event, ...args]));
    });
  }

  disconnect() {
    this.send("41");
    this.end("io client disconnect");
  }

  // Lose the transport, as a network would: the socket then reconnects by itself.
  drop() {
    if (this.ws) this.ws.close();
  }

  end(reason) {
    if (this.over) return;
    this.over = true;
    const was = this.connected;
    this.connected = false;
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close();
    // Only a lost transport comes back; a disconnect by either side is meant.
    const again = reason === "transport close" && this.reconnection && !this.stopped;
    if (was && reason) this.fire("disconnect", reason, again);
    if (again) {
      const delay = Math.min(500 * 2 ** this.attempts++, 5000);
      this.retry = setTimeout(() => { if (!this.stopped) this.connect(); }, delay);
    } else {
      this.stopped = true;
      clearTimeout(this.retry);
    }
  }
}

window.SessioSocket = SessioSocket;
