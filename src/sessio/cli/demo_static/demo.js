// sessio's demo page: what it shows comes from two places, HTTP (/whoami) and the socket.
"use strict";

const $ = (id) => document.getElementById(id);
const show = (id) => { for (const s of ["login", "app", "gone"]) $(s).hidden = s !== id; };
const pretty = (value) => JSON.stringify(value, null, 2);

async function start() {
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

  const socket = new SessioSocket(location.href);
  socket.on("connect", () => { $("status").textContent = `socket: connected (${socket.id})`; });
  socket.on("session", (data) => { $("socket-session").textContent = pretty(data); });
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
  socket.on("disconnect", (reason) => {
    $("status").textContent = `socket: disconnected (${reason})`;
    $("reason").textContent = said
      ? `The server disconnected this tab: ${said} (socket.io: ${reason}).`
      : `Disconnected (socket.io: ${reason}).`;
    show("gone");
  });
  socket.connect();

  $("count").addEventListener("click", async () => {
    $("counter").textContent = String(await socket.call("count", 1));
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
}

start();
