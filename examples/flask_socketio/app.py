"""Flask + Flask-Session (Redis) + Flask-SocketIO: ``flask.session`` in socket handlers is shared.

Run: ``python examples/flask_socketio/app.py`` (``PORT``, ``REDIS_URL``; ``ASYNC_MODE`` is
``threading`` by default, or ``eventlet`` / ``gevent``). The handlers are plain Flask-SocketIO
handlers: sessio opens the socket's session at connect, makes it ``flask.session``, and saves
what a handler changed when it returns (merged onto what the store holds).
"""

from __future__ import annotations

import os

MODE = os.environ.get("ASYNC_MODE", "threading")
if MODE == "eventlet":
    import eventlet  # type: ignore[import-untyped, unused-ignore]

    eventlet.monkey_patch()
elif MODE == "gevent":
    from gevent import monkey  # type: ignore[import-untyped, unused-ignore]

    monkey.patch_all()

# ruff: noqa: E402  (after the monkey-patching)
from typing import Any

import flask
import redis
from flask import session
from flask_session import Session  # type: ignore[import-untyped]
from flask_socketio import SocketIO, emit  # type: ignore[import-untyped]

from sessio import SessionError, formats
from sessio.sync import RedisStore, SessionSockets, revoke

PORT = int(os.environ.get("PORT", "8000"))
REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")

client = redis.Redis.from_url(REDIS_URL)
app = flask.Flask(__name__)
app.config.update(SECRET_KEY="change me", SESSION_TYPE="redis", SESSION_REDIS=client)
Session(app)
store = RedisStore(client)  # SESSION_REDIS
fmt = formats.flask_session()  # SESSION_KEY_PREFIX, SESSION_USE_SIGNER, ... as the app sets them


@app.get("/login")
def login() -> dict[str, Any]:
    session["user"] = flask.request.args["user"]
    return {"user": session["user"]}


@app.get("/logout")
def logout() -> dict[str, Any]:
    # Both: revoke deletes the session and disconnects its sockets on every server; clear()
    # stops Flask-Session from writing it back at the end of this very request.
    revoke(store, fmt, flask.session.sid)
    flask.session.clear()
    return {"user": None}


@app.get("/whoami")
def whoami() -> dict[str, Any]:
    return {k: v for k, v in session.items() if not k.startswith("_")}


socketio = SocketIO(app, async_mode=MODE)
sessions = SessionSockets(socketio, store, fmt, require_session=True)


@socketio.on("connect")  # type: ignore[untyped-decorator]
def connect(auth: Any) -> None:
    emit("hello", session["user"])  # flask.session: the session HTTP logged in


@socketio.on("incr")  # type: ignore[untyped-decorator]
def incr() -> dict[str, Any]:
    try:
        session["count"] = session.get("count", 0) + 1  # saved when the handler returns
    except SessionError as error:
        return {"error": error.code}
    return {"count": session["count"]}


if __name__ == "__main__":
    sessions.start()
    print(f"listening on http://127.0.0.1:{PORT} ({MODE})", flush=True)
    socketio.run(app, host="127.0.0.1", port=PORT, allow_unsafe_werkzeug=True)
