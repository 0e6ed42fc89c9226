"""sessio: the HTTP session of the browser that opened it, for every python-socketio connection.

``sessio.sync`` wraps ``socketio.Server`` (threading, eventlet, gevent) and blocking stores;
``sessio.aio`` wraps ``socketio.AsyncServer`` and async stores. ``sessio.formats`` knows each
web framework's session layout; ``sessio.core`` is the pure logic both shells share.
"""

from sessio import formats
from sessio.core import ClientSession, Failure, Minted, SessionRef, resolve
from sessio.errors import ConflictError, SessionError

__all__ = [
    "ClientSession",
    "ConflictError",
    "Failure",
    "Minted",
    "SessionError",
    "SessionRef",
    "formats",
    "resolve",
]
__version__ = "0.1.0"
