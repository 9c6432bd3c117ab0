"""The documentation site builds strictly and stays in step with the template it describes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import REPO, template_questions

DOCS = REPO / "docs"
TEMPLATE = REPO / "template"


def doc(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def nav_pages() -> list[str]:
    """The Markdown files named in mkdocs.yml's nav (the file has a python tag: skip it)."""
    text = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    return re.findall(r"^\s+- [^:\n]+: (\S+\.md)$", text, flags=re.MULTILINE)


def test_docs_build_strictly(tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=REPO,  # snippets (the changelog) are read relative to the repository
        # Material's end-of-life banner is not a build warning; keep it out of failure output.
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    for page in nav_pages():
        built = site / ("index.html" if page == "index.md" else f"{page[:-3]}/index.html")
        assert built.is_file(), f"{page} is in the nav but was not built"


def test_every_docs_page_is_in_the_nav() -> None:
    pages = set(nav_pages())

    assert {p.name for p in DOCS.glob("*.md")} <= pages


def test_every_question_is_documented_with_its_default() -> None:
    text = doc("questions.md")
    rows: dict[str, str] = {}  # first row naming each question: the questions table
    for match in re.finditer(r"^\| `(\w+)` \|.*$", text, flags=re.MULTILINE):
        rows.setdefault(match.group(1), match.group(0))

    for name, question in template_questions().items():
        assert name in rows, f"question {name!r} is missing from docs/questions.md"
        default = question.get("default")
        if isinstance(default, bool):
            assert ("| yes |" if default else "| no |") in rows[name], name
        elif default is not None and "{{" not in str(default):
            assert f"`{default}`" in rows[name], f"default of {name!r} is not documented"


def test_every_environment_variable_of_the_settings_is_documented() -> None:
    settings = (TEMPLATE / "config" / "settings.py.jinja").read_text(encoding="utf-8")
    pattern = r"""(?:os\.environ\.get|env_bool|env_int|env_list)\(\s*["']([A-Z_]+)["']"""
    names = set(re.findall(pattern, settings))
    table = doc("deployment.md")

    assert names, "no environment variable found in settings: did the helpers change?"
    for name in sorted(names):
        assert f"| `{name}` |" in table, f"{name} is missing from docs/deployment.md"


def test_tests_named_by_the_docs_exist() -> None:
    # The rendered project's tests, the drills and the template's own tests; test modules of
    # optional features carry a Copier condition in their name.
    sources = [*(TEMPLATE / "tests").rglob("*test_*.py*"), *(REPO / "drills").glob("test_*.py")]
    sources += (REPO / "tests").glob("test_*.py")
    test_sources = "\n".join(path.read_text(encoding="utf-8") for path in sources if path.is_file())
    # ... as in a rendering: the paths with their conditions taken out.
    rendered_names = {
        re.sub(r"\{% if [^%]*%\}(.*?)\{% endif %\}", r"\1", str(path.relative_to(TEMPLATE)))
        for path in (TEMPLATE / "tests").rglob("*")
        if path.is_file()
    }
    for page in DOCS.glob("*.md"):
        text = page.read_text(encoding="utf-8")
        for path in re.findall(r"`((?:tests|drills|bench)/[\w/]+\.py)`", text):
            # A path of the rendered project, else one of the template repository.
            exists = path in rendered_names or (REPO / path).is_file()
            assert exists, f"{page.name} names {path}, which does not exist"
        for name in re.findall(r"`(test_\w+)`", text):
            assert re.search(rf"def {name}\(", test_sources), f"{page.name} names {name}"


# Documents a newcomer reads that may tell them to run Copier.
COPIER_DOCUMENTS = [
    REPO / "README.md",
    REPO / "CHANGELOG.md",
    TEMPLATE / "README.md.jinja",
    *sorted(DOCS.glob("*.md")),
]
FENCED_BLOCK = re.compile(r"^\s*```[^\n]*\n(.*?)^\s*```", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`([^`\n]+)`")
# `copier <command>` followed by an argument: a command to run, not the command's name.
COPIER_RUN = re.compile(r"(\S*\s*)\bcopier (copy|update|recopy) +[^\s`]")


def copier_runs(path: Path) -> list[tuple[str, str]]:
    """(subcommand, line) of every Copier command the document tells its reader to run."""
    text = path.read_text(encoding="utf-8")
    code = FENCED_BLOCK.findall(text) + INLINE_CODE.findall(FENCED_BLOCK.sub("", text))
    return [
        (match.group(2), line.strip())
        for snippet in code
        for line in snippet.splitlines()
        for match in COPIER_RUN.finditer(line)
    ]


def test_documents_run_copier_with_uvx() -> None:
    # A newcomer may not have Copier: `uvx copier` (uv's tool runner) needs nothing installed.
    problems = [
        f"{path.relative_to(REPO)}: {line}"
        for path in COPIER_DOCUMENTS
        for _, line in copier_runs(path)
        if not re.search(r"\buvx copier (copy|update|recopy)\b", line)
    ]
    assert not problems, "say `uvx copier`:\n" + "\n".join(problems)
    assert copier_runs(TEMPLATE / "README.md.jinja"), "the project README shows no update command"


def test_documents_that_copy_warn_where_the_source_is_recorded() -> None:
    # `copier update` reads the source from `_src_path`: a relative path copied from breaks it.
    copying = [path for path in COPIER_DOCUMENTS if "copy" in dict(copier_runs(path))]
    assert REPO / "docs" / "quickstart.md" in copying
    for path in [*copying, TEMPLATE / "README.md.jinja"]:
        text = path.read_text(encoding="utf-8")
        assert "`_src_path`" in text and "relative" in text, path.relative_to(REPO)


def test_readme_map_links_every_docs_page() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    map_section = readme.split("\n## Map\n", 1)[1]
    linked = set(re.findall(r"\]\(docs/([\w-]+\.md)\)", map_section))

    missing = sorted({page.name for page in DOCS.glob("*.md")} - linked)
    assert not missing, f"README.md's Map does not link: {', '.join(missing)}"
