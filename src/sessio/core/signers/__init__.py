"""Ports of the signers the frameworks use: itsdangerous (Flask, Flask-Session, Starlette) and
``django.core.signing``; pure, and checked against the real libraries in the tests."""
