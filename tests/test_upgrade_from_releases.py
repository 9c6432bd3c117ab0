"""Projects rendered from earlier releases take this one, losing nothing.

`tests/test_update.py` proves Copier's merge with synthetic releases; this module replays what a
team really does with a project rendered from a release that was published: render it from that
commit of this repository, migrate, put data in, commit, then `copier update` to the template as it
stands, `uv sync`, `migrate`, and run the project's own tests. The data must come through intact
and no conflict marker or `.rej` file may be left in a project nobody edited.

The old releases are read from this repository's history (`git archive`), so the test needs a
clone with history (a CI checkout made with `--depth 1` must fetch it: `git fetch --unshallow`).
"""

from __future__ import annotations

import io
import json
import secrets
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

import copier
import pytest

from conftest import POSTGRES_URL, REPO, iter_files, record_timings, run, uv_executable
from test_update import answers, commit_all, git, leftovers

pytestmark = pytest.mark.render


@dataclass(frozen=True)
class Release:
    """A published state of the template that projects were rendered from."""

    name: str
    commit: str
    database: str


# 0.1.0 as published (2026-11-24), and the last state of main before the release under work,
# which projects were also rendered from (it holds migrations 0.1.0 does not have).
RELEASE_0_1_0 = Release("0.1.0", "eab3ef87337f6214b68763a2ced114d113435c8c", "sqlite")
MAIN_BEFORE_0_2 = Release("main-2026-12-01", "fdcabfa", "postgresql")

# Data a team has by the time it updates; read back after the update, field by field.
SEED_DATA = """
from decimal import Decimal
from django.contrib.auth import get_user_model
from admin_panel.models import Subscription
User = get_user_model()
User.objects.create_superuser("owner", "owner@example.com", "owner-password-123")
User.objects.create_user("jörg.staff", "jorg@example.com", "staff-pass-123", is_staff=True)
plain = User.objects.create_user("plain+user", "plain@example.org", "plain-password-123")
plain.first_name = "Plain"
plain.save()
Subscription.objects.create(user=plain, plan="pro", monthly_amount=Decimal("49.90"))
"""

DUMP_DATA = """
import json
from django.contrib.auth import get_user_model
from admin_panel.models import AuditEntry, Subscription
User = get_user_model()
print(json.dumps({
    "users": sorted(
        list(User.objects.values_list(
            "id", "username", "email", "first_name", "password", "is_staff", "is_superuser",
            "is_active",
        ))
    ),
    "subscriptions": sorted(
        [s.user_id, s.plan, str(s.monthly_amount), s.status]
        for s in Subscription.objects.all()
    ),
    "audit": sorted(
        [e.id, e.action, e.target, e.object_id, json.dumps(e.changes, sort_keys=True)]
        for e in AuditEntry.objects.all()
    ),
}))
"""


def release_tree(release: Release, dest: Path) -> Path:
    """The template repository's files at `release.commit`, extracted into `dest`."""
    try:
        archive = subprocess.run(
            ["git", "archive", "--format=tar", release.commit],
            cwd=REPO,
            capture_output=True,
            check=True,
        ).stdout
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        pytest.fail(
            f"Release {release.name} ({release.commit}) is not in this clone's history: "
            f"this test needs it (git fetch --unshallow). {exc}"
        )
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def template_repo(release: Release, template_src: Path, path: Path) -> Path:
    """A git repository whose v0.1.0 is `release` and whose v0.2.0 is the template as it stands."""
    release_tree(release, path)
    git(path, "init", "-q")
    commit_all(path, f"template {release.name}")
    git(path, "tag", "v0.1.0")
    for child in path.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    shutil.copytree(template_src, path, dirs_exist_ok=True)
    commit_all(path, "template as it stands")
    git(path, "tag", "v0.2.0")
    return path


def manage(project: Path, *args: str, timings: list, label: str) -> str:
    result = run(
        [uv_executable(), "run", "python", "manage.py", *args],
        project,
        timings=timings,
        label=label,
    )
    return result.stdout


def dump(project: Path, timings: list) -> dict:
    """The seeded data as the project's ORM reads it."""
    output = manage(project, "shell", "-c", DUMP_DATA, timings=timings, label="dump")
    return json.loads(output.strip().splitlines()[-1])  # (after the shell's own notice)


def psql(sql: str) -> None:
    """Run `sql` on the server's maintenance database (autocommit)."""
    subprocess.run(
        ["psql", f"{POSTGRES_URL}/postgres", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True,
        capture_output=True,
        text=True,
    )


class UpgradeFromRelease:
    """Render `release`, fill it with data, update it to the template as it stands."""

    release: Release

    def test_update_migrate_and_own_tests_lose_nothing(
        self, template_src: Path, tmp_path: Path, request: pytest.FixtureRequest
    ) -> None:
        timings: list[tuple[str, float]] = []
        repo = template_repo(self.release, template_src, tmp_path / "template-repo")
        slug = f"upg_{secrets.token_hex(4)}"
        data = {"project_slug": slug, "database": self.release.database}
        project = tmp_path / "project"
        if self.release.database == "postgresql":
            psql(f"CREATE DATABASE {slug}")  # what a team did by hand before `createdb` existed
        try:
            copier.run_copy(
                str(repo), str(project), data=data, defaults=True, quiet=True, vcs_ref="v0.1.0"
            )
            git(project, "init", "-q")
            commit_all(project, f"Project rendered from {self.release.name}")
            # The README's first step (`.env` is git-ignored: it stays out of the merge).
            shutil.copy(project / ".env.example", project / ".env")
            run([uv_executable(), "sync"], project, timings=timings, label="uv sync (old)")
            manage(project, "migrate", "--no-input", timings=timings, label="migrate (old)")
            manage(project, "shell", "-c", SEED_DATA, timings=timings, label="seed data")
            before = dump(project, timings)
            assert len(before["users"]) == 3 and before["audit"], before
            commit_all(project, "Lock file")  # the README: commit uv.lock

            copier.run_update(
                str(project),
                vcs_ref="v0.2.0",
                defaults=True,
                overwrite=True,
                conflict="inline",
                unsafe=True,  # our own template: its `_migrations` run
                quiet=True,
            )

            assert leftovers(project) == [], "an unedited project got conflicts"
            assert answers(project)["_commit"] == "v0.2.0"
            run([uv_executable(), "sync"], project, timings=timings, label="uv sync (new)")
            manage(project, "migrate", "--no-input", timings=timings, label="migrate (new)")
            after = dump(project, timings)
            assert after == before, "data changed across the update"
            manage(
                project,
                "makemigrations",
                "--check",
                "--dry-run",
                timings=timings,
                label="makemigrations --check",
            )
            result = run(
                [uv_executable(), "run", "pytest", "-q", "-m", "not browser"],
                project,
                timings=timings,
                label="pytest -m 'not browser'",
            )
            assert " passed" in result.stdout.strip().splitlines()[-1]
        finally:
            record_timings(request, f"update from {self.release.name}", timings)
            if self.release.database == "postgresql":
                for name in (slug, f"test_{slug}"):
                    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        # Nothing of the old release's laboratory may outlive the update in an unedited project.
        stale = [p for p in iter_files(project) if "bench" in p.relative_to(project).parts]
        assert stale == []


class TestUpdateFrom010(UpgradeFromRelease):
    """0.1.0 as published, on SQLite + Redis (the defaults)."""

    release = RELEASE_0_1_0


class TestUpdateFromMainBefore020(UpgradeFromRelease):
    """The last main before this release, on PostgreSQL + Redis (it holds accounts 0003-0004)."""

    release = MAIN_BEFORE_0_2
