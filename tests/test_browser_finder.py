"""The rendered browser tests without a browser: one skip line, or a failed run under CI=true.

Each test runs the defaults rendering's browser tests (`pytest -m browser`) where no Chromium
can be found: PATH holds only the project's virtualenv, Playwright looks for its browsers in
an empty directory, and PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH is unset or wrong. The macOS
application paths cannot be hidden from a process on a Mac, so the run empties their list
before pytest starts.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import project_env, uv_executable
from test_render_matrix import MATRIX, Rendering, make_rendering
from test_render_matrix import renderings as renderings  # the fixture, shared per worker

pytestmark = pytest.mark.render

VARIABLE = "PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH"
RUN_PYTEST = (
    "import sys, pytest, tests.chromium; tests.chromium.MACOS_APPLICATIONS = (); "
    "sys.exit(pytest.main())"
)


@pytest.fixture
def rendering(
    renderings: dict[str, Rendering],
    template_src: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Rendering:
    return make_rendering(MATRIX[0], renderings, template_src, tmp_path_factory)


def run_without_browsers(
    rendering: Rendering, tmp_path: Path, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    """`pytest <args>` in the rendering, with every browser hidden (and `env` set)."""
    empty = tmp_path / "no-browsers"
    empty.mkdir(exist_ok=True)
    hidden = {
        "PATH": str(rendering.path / ".venv" / "bin"),
        "PLAYWRIGHT_BROWSERS_PATH": str(empty),
        VARIABLE: "",
        "CI": "",
        **env,
    }
    return subprocess.run(
        [uv_executable(), "run", "python", "-c", RUN_PYTEST, "-p", "no:cacheprovider", *args],
        cwd=rendering.path,
        env=project_env(hidden),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def skip_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("SKIPPED")]


def test_without_a_browser_every_browser_test_is_skipped_on_one_line(rendering, tmp_path):
    result = run_without_browsers(rendering, tmp_path, "-m", "browser")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    skipped = re.search(r"(\d+) skipped", output)
    assert skipped and int(skipped.group(1)) > 10, output
    assert " passed" not in output and " failed" not in output and " error" not in output
    lines = skip_lines(output)
    assert len(lines) == 1, output
    assert "uv run playwright install chromium" in lines[0]
    assert VARIABLE in lines[0]


def test_without_a_browser_a_ci_run_fails_and_says_why(rendering, tmp_path):
    result = run_without_browsers(rendering, tmp_path, "-m", "browser", "tests/browser", CI="true")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "CI=true: no Chromium for the browser tests" in output
    assert "uv run playwright install chromium" in output
    assert not re.search(r"\d+ (passed|skipped)", output), output


def test_a_wrong_executable_in_the_variable_is_named_not_silently_replaced(rendering, tmp_path):
    wrong = tmp_path / "not-a-browser"
    wrong.write_text("")
    result = run_without_browsers(rendering, tmp_path, "tests/browser", **{VARIABLE: str(wrong)})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    lines = skip_lines(output)
    assert len(lines) == 1, output
    assert f"{VARIABLE}={wrong} is not an executable file" in lines[0]


def test_the_variable_names_the_browser_when_nothing_else_is_found(rendering, tmp_path):
    """Positive control: the same hidden environment runs a browser test given the variable."""
    chromium = next(
        (found for name in ("chromium", "google-chrome") if (found := shutil.which(name))), None
    )
    assert chromium, "this machine needs Chromium for the template's tests (.ci/run installs it)"
    test = "tests/framework/test_client_js.py::test_json_error_is_shown_as_text_never_html"
    result = run_without_browsers(rendering, tmp_path, test, **{VARIABLE: chromium})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(r"\b1 passed", output), output
    assert not skip_lines(output), output
