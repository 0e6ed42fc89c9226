"""Session formats, one constructor per framework (re-exported from `sessio.core`).

``formats.express(secrets=[...])`` is express-session with connect-redis's store layout.
"""

from sessio.core.express import ExpressFormat, express
from sessio.core.format import Format

__all__ = ["ExpressFormat", "Format", "express"]
