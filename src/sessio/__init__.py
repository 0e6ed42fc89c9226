"""sessio: the HTTP session of the browser that opened it, for every python-socketio connection."""
