"""Glue between sessio and web frameworks; each module needs its framework installed."""
