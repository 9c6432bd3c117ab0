"""What Copier prints after `copier copy` and `copier update`: the next steps, per answers.

Copier prints `_message_after_copy` / `_message_after_update` on stderr unless quiet, so
these tests render through copier's Python API with `quiet=False` and read stderr.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import copier
import pytest

from conftest import readme_setup_command

JINJA_LEFT = ("{{", "{%", "}}", "%}")


def copy_and_capture(src: str, dst: Path, capfd: pytest.CaptureFixture[str], **data: object) -> str:
    copier.run_copy(src, str(dst), data=data, defaults=True, unsafe=False, quiet=False)
    return capfd.readouterr().err


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        capture_output=True,
        check=True,
    )


@pytest.mark.parametrize(
    "answers",
    [
        {},
        {"database": "postgresql", "asgi_server": "daphne", "redis_url": ""},
    ],
    ids=["defaults", "postgresql-daphne-in-memory"],
)
def test_message_after_copy_gives_the_readme_setup(
    template_src: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str], answers: dict
) -> None:
    project = tmp_path / "my-panel"

    message = copy_and_capture(str(template_src), project, capfd, **answers)

    assert f"cd {project}" in message
    assert readme_setup_command(project) in message  # the README's own set-up line
    assert ("manage.py createdb" in message) == (answers.get("database") == "postgresql")
    assert "http://127.0.0.1:8000/admin-panel/" in message and "seed_demo" in message
    assert "uv run pytest" in message
    assert "_src_path" not in message  # an absolute source: no warning
    assert not any(delimiter in message for delimiter in JINJA_LEFT), message


def test_message_after_copy_warns_about_a_relative_source(
    template_src: Path,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(template_src.parent)

    message = copy_and_capture(template_src.name, tmp_path / "my-panel", capfd)

    assert "_src_path" in message and f'"{template_src.name}"' in message


def test_message_after_update_names_the_review_and_the_checks(
    template_src: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "template"
    shutil.copytree(template_src, template)
    git(template, "init", "-q")
    git(template, "add", "-A")
    git(template, "commit", "-q", "--no-verify", "-m", "template")
    git(template, "tag", "v0.1.0")
    project = tmp_path / "my-panel"
    copier.run_copy(str(template), str(project), defaults=True, unsafe=False, quiet=True)
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-q", "--no-verify", "-m", "Render from the template")
    capfd.readouterr()

    copier.run_update(str(project), defaults=True, overwrite=True, unsafe=False, quiet=False)
    message = capfd.readouterr().err

    for step in ("git status", "git diff", ".rej", "uv sync", "manage.py migrate", "uv run pytest"):
        assert step in message, f"{step!r} missing from:\n{message}"
    assert "<<<<<<<" in message  # how a conflict looks
    assert not any(delimiter in message for delimiter in JINJA_LEFT), message
