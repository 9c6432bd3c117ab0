"""Benchmarks: plain scripts, run as `uv run python bench/<name>.py [--short]`."""
