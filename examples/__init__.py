"""Runnable examples of close-sequences; each has its own tests."""
