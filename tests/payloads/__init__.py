"""Recorded webhook bodies (trimmed) and the helper that builds variants of them."""
