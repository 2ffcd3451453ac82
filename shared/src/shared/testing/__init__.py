"""Helpers for tests: tiny datasets written in each dataset's *official* on-disk format.

The loaders under test are the ones users run on the real data; only the size differs.
"""
