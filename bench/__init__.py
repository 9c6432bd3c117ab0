"""Benchmarks of rendered projects: plain scripts run inside a project as
`uv run python bench/<name>.py [--short]`, once `bench/run.py` has copied this folder there."""
