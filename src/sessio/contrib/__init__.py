"""Glue for web frameworks: logins and logouts that sockets follow.

`sessio.contrib.django` (a middleware) and `sessio.contrib.flask` (Flask-Login's signals)
publish a rotation when a login changes the session id and a revoke at logout, from the web
worker, over the control channel the app names. Each imports its framework: import only the
one you use.
"""
