"""Flask + Flask-Session (Redis), and a python-socketio server that shares the session.

Run: ``python examples/flask_session/app.py`` (``PORT``, ``REDIS_URL``; see examples/README.md).
The socket server is plain python-socketio in threading mode, mounted in front of the Flask
app with ``socketio.WSGIApp``; Flask's development server serves both (websocket included).
"""

from __future__ import annotations

import os
from typing import Any

import flask
import redis
import socketio
from flask_session import Session  # type: ignore[import-untyped]

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
    flask.session["user"] = flask.request.args["user"]
    return {"user": flask.session["user"]}


@app.get("/logout")
def logout() -> dict[str, Any]:
    # Both: revoke deletes the session and disconnects its sockets on every server; clear()
    # stops Flask-Session from writing it back at the end of this very request.
    revoke(store, fmt, flask.session.sid)
    flask.session.clear()
    return {"user": None}


@app.get("/whoami")
def whoami() -> dict[str, Any]:
    return {k: v for k, v in flask.session.items() if not k.startswith("_")}


sio = socketio.Server(async_mode="threading")
sessions = SessionSockets(sio, store, fmt, require_session=True)


@sessions.on("incr")
def incr(sid: str, session: Any) -> dict[str, Any]:
    try:
        session["count"] = session.get("count", 0) + 1
        session.save()  # only "count", merged onto what the store holds now
    except SessionError as error:
        return {"error": error.code}
    return {"count": session["count"]}


app.wsgi_app = socketio.WSGIApp(sio, app.wsgi_app)  # type: ignore[method-assign]

if __name__ == "__main__":
    sessions.start()
    print(f"listening on http://127.0.0.1:{PORT}", flush=True)
    app.run(host="127.0.0.1", port=PORT, threaded=True)
