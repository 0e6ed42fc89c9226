// sessio's demo page: what it shows comes from two places, HTTP (/whoami) and the socket.
"use strict";

const $ = (id) => document.getElementById(id);
const show = (id) => {
  for (const s of ["login", "app", "gone"]) $(s).hidden = s !== id;
  $("cross-site").hidden = id !== "app";
};
const pretty = (value) => JSON.stringify(value, null, 2);

async function start() {
  // Where the socket goes: this origin, or (cross-site mode) a socket.io server on another site.
  const config = await (await fetch("/config")).json();
  const whoami = await fetch("/whoami", { credentials: "same-origin" });
  if (whoami.status !== 200) {
    show("login");
    return;
  }
  const { session } = await whoami.json();
  $("http-session").textContent = pretty(session);
  $("user").textContent = session.user;
  $("counter").textContent = String(session.count || 0);
  show("app");

  // CROSS-SITE MODE: the browser sends the socket's site no cookie, so before each (re)connect
  // the page asks its own site for a one-time ticket (with the cookie) and hands it over in
  // socket.io's `auth`, as a callback: the official client's pattern,
  //   io(url, { auth: (cb) => fetch("/ticket").then((r) => r.json()).then((t) => cb({ ticket: t.ticket })) })
  let tickets = 0;
  let lastTicket = null;
  const fetchTicket = () => fetch("/ticket", { credentials: "same-origin" })
    .then((response) => response.json())
    .then(({ ticket }) => {
      if (ticket) {
        tickets += 1;
        lastTicket = ticket;
        $("tickets").textContent = String(tickets);
      }
      return ticket;
    });
  const auth = config.cross_site ? (cb) => fetchTicket().then((ticket) => cb({ ticket })) : null;
  const socketUrl = config.socket_url || location.href;
  $("same-site-note").hidden = config.cross_site;
  $("cross-site-on").hidden = !config.cross_site;
  $("socket-url").textContent = socketUrl;

  const socket = new SessioSocket(socketUrl, { auth });
  let via = null; // what carried the session to this connect, as the server saw it
  let connects = 0;
  const report = () => {
    if (!socket.connected || via === null) return;
    connects += 1;
    const how = via === "ticket" ? `with a ticket (#${tickets})` : "with the cookie";
    const where = config.cross_site ? "from another site " : "";
    $("cross-site-status").textContent = `connected ${where}${how}: socket ${socket.id}`;
    const item = document.createElement("li");
    item.textContent = `connect ${connects}: ${how}`;
    $("connects").append(item);
  };
  socket.on("via", (how) => { via = how; report(); });
  socket.on("connect", () => {
    $("status").textContent = `socket: connected (${socket.id})`;
    report();
  });
  socket.on("session", (data) => {
    $("socket-session").textContent = pretty(data);
    $("counter").textContent = String(data.count || 0); // as of this (re)connect
  });
  socket.on("news", (news) => {
    const item = document.createElement("li");
    item.textContent = `${news.from}: ${news.text}`;
    $("news").append(item);
  });
  let said = null;
  socket.on("bye", (why) => { said = said || why.reason; });
  socket.on("connect_error", (error) => {
    $("reason").textContent = `refused: ${JSON.stringify(error.data)}`;
    show("gone");
  });
  socket.on("disconnect", (reason, again) => {
    via = null;
    $("status").textContent = `socket: disconnected (${reason})${again ? ", reconnecting…" : ""}`;
    $("cross-site-status").textContent = `disconnected (${reason})${again ? ", reconnecting…" : ""}`;
    if (again) return; // a lost transport: the socket reconnects by itself
    $("reason").textContent = said
      ? `The server disconnected this tab: ${said} (socket.io: ${reason}).`
      : `Disconnected (socket.io: ${reason}).`;
    show("gone");
  });
  socket.connect();

  $("count").addEventListener("click", async () => {
    try {
      $("counter").textContent = String(await socket.call("count", 1));
    } catch (error) { // the socket was lost before the answer: the status line says so
      console.warn(error.message);
    }
  });
  $("reload").addEventListener("click", () => location.reload());
  $("tell-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    await socket.call("tell", $("message").value);
    $("message").value = "";
  });
  $("logout").addEventListener("click", async () => {
    said = "you logged out here";
    await fetch("/logout", { method: "POST", credentials: "same-origin" });
  });

  // Cross-site mode's buttons: drop the transport (the socket reconnects with a fresh ticket),
  // and two connects that the socket server refuses: a used ticket, and none at all (the
  // browser's cookies for the socket's site: it has none of this session).
  $("drop").addEventListener("click", () => socket.drop());
  const probe = (auth) => {
    $("probe").textContent = "…";
    const trial = new SessioSocket(socketUrl, { auth, reconnection: false });
    trial.on("connect", () => {
      $("probe").textContent = "connected (unexpected)";
      trial.disconnect();
    });
    trial.on("connect_error", (error) => {
      $("probe").textContent = `refused: ${error.data && error.data.code}`;
    });
    trial.connect();
  };
  $("reuse").addEventListener("click", () => probe({ ticket: lastTicket }));
  $("no-ticket").addEventListener("click", () => probe(null));
}

start();
