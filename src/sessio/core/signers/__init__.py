"""Ports of the signers the frameworks use: itsdangerous (Flask, Flask-Session, Starlette) and
``django.core.signing``, over the HMAC, base64 and inflate building blocks in `_primitives`;
pure, and checked against the real libraries in the tests."""
