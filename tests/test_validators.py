"""Every question refuses its bad answers with a message that names the rule.

Answers go in through copier's Python API (`data=` with `defaults=True`), exactly as
`copier copy --defaults -d key=value` would pass them. Copier validates before it writes
anything, so a refused answer leaves no destination directory behind.
"""

from __future__ import annotations

import sys
from pathlib import Path

import copier
import pytest
import yaml

from conftest import REPO, template_questions

# question -> list of (bad answer(s), expected message fragment). Extra keys in a case's data
# set the answers the refused one depends on (the database URL depends on the database).
BAD_ANSWERS: dict[str, list[tuple[dict, str]]] = {
    "project_name": [
        ({"project_name": ""}, "The project name cannot be empty."),
        ({"project_name": "   "}, "The project name cannot be empty."),
        ({"project_name": "x" * 81}, "The project name must be 80 characters or fewer."),
        ({"project_name": "My <b>Panel</b>"}, "The project name cannot contain"),
        ({"project_name": 'Say "hi"'}, "The project name cannot contain"),
        ({"project_name": "{{ evil }}"}, "The project name cannot contain"),
    ],
    "project_slug": [
        ({"project_slug": "json"}, 'The project slug "json" would shadow the Python or Django'),
        ({"project_slug": "django"}, 'The project slug "django" would shadow'),
        ({"project_slug": "asyncio"}, 'The project slug "asyncio" would shadow'),
        ({"project_slug": "channels"}, 'The project slug "channels" would shadow'),
        ({"project_slug": "admin_panel"}, 'The project slug "admin_panel" would shadow'),
        ({"project_slug": "config"}, 'The project slug "config" would shadow'),
        ({"project_slug": "tests"}, 'The project slug "tests" would shadow'),
        ({"project_slug": "1panel"}, "The project slug must start with a lowercase letter"),
        ({"project_slug": "My-Panel"}, "The project slug must start with a lowercase letter"),
        ({"project_slug": "my panel"}, "The project slug must start with a lowercase letter"),
        ({"project_slug": "_panel"}, "The project slug must start with a lowercase letter"),
        ({"project_slug": ""}, "The project slug must start with a lowercase letter"),
        ({"project_slug": "p" * 41}, "The project slug must be 40 characters or fewer."),
    ],
    "description": [
        ({"description": "d" * 201}, "The description must be 200 characters or fewer."),
        ({"description": 'A "quoted" panel'}, "The description cannot contain double quotes"),
        ({"description": "back\\slash"}, "The description cannot contain double quotes"),
    ],
    "author_name": [
        ({"author_name": ""}, "The author name cannot be empty."),
        ({"author_name": 'Ada "the" Admin'}, "The author name cannot contain"),
        ({"author_name": "<script>"}, "The author name cannot contain"),
    ],
    "author_email": [
        ({"author_email": "not-an-email"}, '"not-an-email" is not a valid email address'),
        ({"author_email": "ada@localhost"}, '"ada@localhost" is not a valid email address'),
        ({"author_email": "ada lovelace@example.com"}, "is not a valid email address"),
        ({"author_email": "ada@@example.com"}, "is not a valid email address"),
        ({"author_email": ""}, "is not a valid email address"),
    ],
    "database": [
        ({"database": "mysql"}, "Invalid choice for 'database'"),
    ],
    "database_url": [
        (
            {"database": "postgresql", "database_url": "sqlite:///db.sqlite3"},
            "A PostgreSQL URL looks like postgresql://user@host:5432/dbname.",
        ),
        (
            {"database": "postgresql", "database_url": "mysql://root@127.0.0.1/panel"},
            "A PostgreSQL URL looks like",
        ),
        (
            {"database": "postgresql", "database_url": "postgresql://postgres@127.0.0.1:5432"},
            "A PostgreSQL URL looks like",
        ),
        (
            {"database": "sqlite", "database_url": "postgresql://postgres@127.0.0.1:5432/panel"},
            "A SQLite URL looks like sqlite:///db.sqlite3.",
        ),
        ({"database": "sqlite", "database_url": "db.sqlite3"}, "A SQLite URL looks like"),
    ],
    "redis_url": [
        ({"redis_url": "http://127.0.0.1:6379/0"}, "The Redis URL must start with redis://"),
        ({"redis_url": "127.0.0.1:6379"}, "The Redis URL must start with redis://"),
        ({"redis_url": "memcached://127.0.0.1:11211"}, "The Redis URL must start with redis://"),
        ({"redis_url": "redis://"}, "The Redis URL must start with redis://"),
        ({"redis_url": "redis://host with spaces"}, "The Redis URL must start with redis://"),
    ],
    "metrics_cache_ttl": [
        ({"metrics_cache_ttl": 9}, "The metrics cache TTL must be between 10 and 86400 seconds."),
        ({"metrics_cache_ttl": 86401}, "The metrics cache TTL must be between 10 and 86400"),
        ({"metrics_cache_ttl": -300}, "The metrics cache TTL must be between 10 and 86400"),
        ({"metrics_cache_ttl": "five minutes"}, "invalid literal for int()"),
    ],
    "page_size": [
        ({"page_size": 4}, "The page size must be between 5 and 200."),
        ({"page_size": 201}, "The page size must be between 5 and 200."),
        ({"page_size": 0}, "The page size must be between 5 and 200."),
        ({"page_size": "many"}, "invalid literal for int()"),
    ],
    "asgi_server": [
        ({"asgi_server": "gunicorn"}, "Invalid choice for 'asgi_server'"),
    ],
    "language": [
        ({"language": "fr"}, "Invalid choice for 'language'"),
    ],
    "time_zone": [
        ({"time_zone": "Mars/Olympus_Mons"}, '"Mars/Olympus_Mons" is not a known IANA time zone'),
        ({"time_zone": "Europe/Pariss"}, '"Europe/Pariss" is not a known IANA time zone'),
        ({"time_zone": "utc"}, '"utc" is not a known IANA time zone'),
        ({"time_zone": ""}, "is not a known IANA time zone"),
    ],
}

GOOD_ANSWERS: list[dict] = [
    {"project_name": "Équipe Ops 2025", "project_slug": "equipe_ops_2025"},
    {"project_name": "x" * 80, "project_slug": "long_name"},
    {"project_slug": "p" * 40},
    {"description": "d" * 200},
    {"author_email": "ada.lovelace+panel@mail.example.co.uk"},
    {"database": "postgresql"},
    {"database": "postgresql", "database_url": "postgres://app:secret@db.internal:6543/app_db"},
    {"database": "sqlite", "database_url": "sqlite:////var/lib/panel/db.sqlite3"},
    {"redis_url": ""},
    {"redis_url": "rediss://:password@cache.example.com:6380/1"},
    {"redis_url": "unix:///run/redis/redis.sock?db=2"},
    {"metrics_cache_ttl": 10},
    {"metrics_cache_ttl": 86400},
    {"page_size": 5},
    {"page_size": 200},
    {"asgi_server": "daphne"},
    {"time_zone": "America/Argentina/Buenos_Aires"},
    {"time_zone": "Europe/Paris"},
    {"use_audit_feed": False, "use_metrics": False},
    # The TTL question is not asked when metrics are off, so its value is not checked.
    {"use_metrics": False, "metrics_cache_ttl": 5},
    # Derived slugs: truncated to 40 characters, never starting with a digit.
    {"project_name": "x" * 80},
    {"project_name": "9 Lives Panel"},
]


def _case_id(case: tuple[dict, str]) -> str:
    data, _ = case
    return ",".join(f"{key}={value!r}"[:40] for key, value in data.items())


BAD_CASES = [
    pytest.param(data, message, id=_case_id((data, message)))
    for cases in BAD_ANSWERS.values()
    for data, message in cases
]


@pytest.mark.parametrize(("data", "message"), BAD_CASES)
def test_bad_answer_is_refused_with_its_message(
    template_src: Path, tmp_path: Path, data: dict, message: str
) -> None:
    destination = tmp_path / "project"
    with pytest.raises(ValueError) as refused:
        copier.run_copy(
            str(template_src),
            str(destination),
            data=data,
            defaults=True,
            unsafe=False,
            quiet=True,
        )
    assert message in str(refused.value)
    assert not destination.exists(), "a refused answer must not leave a half-rendered project"


@pytest.mark.parametrize("data", GOOD_ANSWERS, ids=[_case_id((d, "")) for d in GOOD_ANSWERS])
def test_good_answer_is_accepted(template_src: Path, tmp_path: Path, data: dict) -> None:
    destination = tmp_path / "project"
    copier.run_copy(
        str(template_src),
        str(destination),
        data=data,
        defaults=True,
        unsafe=False,
        quiet=True,
        pretend=True,
    )


def test_every_question_with_a_rule_has_bad_answers_here() -> None:
    """A new question with a validator or choices must bring its refusal cases along."""
    ruled = {
        name
        for name, spec in template_questions().items()
        if isinstance(spec, dict) and ("validator" in spec or "choices" in spec)
    }
    assert ruled, "copier.yml has no validated questions?"
    assert ruled <= set(BAD_ANSWERS), f"untested questions: {sorted(ruled - set(BAD_ANSWERS))}"


def test_every_question_has_help_and_default() -> None:
    for name, spec in template_questions().items():
        if spec.get("when") is False:
            continue  # hidden data, never asked
        assert spec.get("help"), f"{name} has no help text"
        assert "default" in spec, f"{name} has no default"


def _reserved_names() -> set[str]:
    hidden = yaml.safe_load((REPO / "copier" / "hidden.yml").read_text(encoding="utf-8"))
    return set(hidden["reserved_names"]["default"])


def test_reserved_names_cover_the_standard_library() -> None:
    """Every stdlib module a slug could spell is reserved (the slug becomes an import name)."""
    possible_slugs = {
        name
        for name in sys.stdlib_module_names
        if name.isidentifier() and name == name.lower() and not name.startswith("_")
    }
    missing = possible_slugs - _reserved_names()
    assert not missing, f"stdlib modules a slug may shadow: {sorted(missing)}"


def test_reserved_names_cover_the_rendered_packages_and_django() -> None:
    rendered_packages = {
        path.name
        for path in (REPO / "template").iterdir()
        if path.is_dir() and "{" not in path.name and not path.name.startswith(".")
    }
    expected = rendered_packages | {"django", "channels", "daphne", "uvicorn", "redis", "pytest"}
    missing = expected - _reserved_names()
    assert not missing, f"names a slug may shadow: {sorted(missing)}"
