"""Express + passport users: the Node login registers sessions in sessio's user index (the
snippet README.md shows, in ``tests/express_app/server.js``'s ``/passport-login``), and
`revoke_user` from Python, with express's default user key (``passport.user``), signs the
user out of every one of them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from node_app import ExpressApp, cookie_pair, run_express

from redis_server import RedisServer
from sessio import formats
from sessio.core._users import user_index_key
from sessio.sync import RedisStore, revoke_user

SECRET = "express-users-secret"


@pytest.fixture(scope="module")
def app(redis_server_session: RedisServer) -> Iterator[ExpressApp]:
    with run_express(redis_server_session.url, [SECRET]) as running:
        yield running


@pytest.fixture
def client(redis_server_session: RedisServer) -> Iterator[redis.Redis]:
    with redis.Redis.from_url(redis_server_session.url) as connection:
        yield connection


def passport_login(app: ExpressApp, user: str) -> tuple[str, str]:
    response = app.get("/passport-login", user=user)
    response.raise_for_status()
    sid: str = response.json()["sid"]
    return cookie_pair(response), sid


def test_the_node_login_writes_the_index_sessio_reads(app: ExpressApp, client: redis.Redis) -> None:
    user = "ann@example.com"
    sessions = [passport_login(app, user) for _ in range(2)]
    members = {m.decode() for m in client.zrange(user_index_key(user), 0, -1)}  # type: ignore[union-attr]
    assert members == {sid for _, sid in sessions}
    assert 86000 < client.ttl(user_index_key(user)) <= 86400


def test_revoke_user_signs_a_passport_user_out_of_every_session(
    app: ExpressApp, client: redis.Redis
) -> None:
    ann = [passport_login(app, "ann-42") for _ in range(3)]
    bob_cookie, _ = passport_login(app, "bob-42")
    store, fmt = RedisStore(client), formats.express(secrets=[SECRET])
    assert all(client.get(fmt.store_key(sid)) is not None for _, sid in ann)
    assert revoke_user(store, fmt, "ann-42") == 3  # the default key for express: passport.user
    for _, sid in ann:
        assert client.get(fmt.store_key(sid)) is None
    assert client.exists(user_index_key("ann-42")) == 0
    response = app.get("/get", bob_cookie, key="passport")
    assert response.json()["value"] == {"user": "bob-42"}
