"""Headless core: no textual or rich imports here (tests/test_architecture.py enforces it)."""
