"""Glue for web frameworks; each module imports its framework: import only the one you use.

`sessio.contrib.django` (a middleware) and `sessio.contrib.flask` (Flask-Login's signals)
publish a rotation when a login changes the session id and a revoke at logout, from the web
worker, over the control channel the app names. The HTTP side's saves that lose nothing are
here too: a Flask-Session interface and a Django session engine that merge as sockets do.
"""
