"""The git hooks stop a commit that still carries the leftovers of a `copier update`."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def hooks() -> dict[str, dict]:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    return {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}


def test_merge_conflict_markers_are_refused_outside_a_git_merge():
    hook = hooks()["check-merge-conflict"]

    assert hook["entry"].split() == ["check-merge-conflict", "--assume-in-merge"]
    assert any(dep.startswith("pre-commit-hooks==") for dep in hook["additional_dependencies"])


def test_rej_files_are_refused():
    hook = hooks()["forbid-rej-files"]
    pattern = re.compile(hook["files"])

    assert hook["language"] == "fail"
    assert pattern.search("config/settings.py.rej")
    assert not pattern.search("config/settings.py")
    assert not pattern.search("docs/reject.md")


def test_ruff_runs_from_the_project_environment():
    entries = {hook_id: hook["entry"] for hook_id, hook in hooks().items()}

    assert entries["ruff-check"].startswith("uv run ruff check")
    assert entries["ruff-format"].startswith("uv run ruff format")
