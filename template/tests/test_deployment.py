"""The deployment files (Dockerfile, compose.yaml, CI workflow) hold together.

No container engine runs in the test environment, so these tests read the files the way
Docker, Compose and GitHub Actions would and check what each promises: stages, user,
health checks, services, ports, environment and commands. Which database and ASGI server
the project uses is read from its dependencies, so the tests follow the project if that
choice changes.
"""

import json
import re
import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from config.health import HEALTH_PATH

ROOT = Path(__file__).resolve().parent.parent
CONTAINER_PORT = "8000"


def _dependency_names() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {
        re.split(r"[\[<>=!~;\s]", dep, maxsplit=1)[0].lower() for dep in project["dependencies"]
    }


DEPENDENCIES = _dependency_names()
USES_POSTGRESQL = "psycopg" in DEPENDENCIES
ASGI_SERVER = "uvicorn" if "uvicorn" in DEPENDENCIES else "daphne"


@dataclass
class Instruction:
    keyword: str
    args: str


def parse_dockerfile(text: str) -> list[list[Instruction]]:
    """Split a Dockerfile into stages (one list of instructions per FROM)."""
    logical: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue  # comment inside a continued instruction
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    stages: list[list[Instruction]] = [[]]
    for line in logical:
        keyword, _, args = line.partition(" ")
        instruction = Instruction(keyword.upper(), args.strip())
        if instruction.keyword == "FROM":
            stages.append([])
        stages[-1].append(instruction)
    return stages


def exec_form(args: str) -> list[str]:
    """Parse the JSON-array (exec) form of CMD/HEALTHCHECK CMD."""
    assert args.startswith("["), f"expected exec form, got {args!r}"
    return json.loads(args)


def stage_named(stages: list[list[Instruction]], name: str) -> list[Instruction]:
    for stage in stages[1:]:
        if stage[0].args.lower().endswith(f" as {name}"):
            return stage
    raise AssertionError(f"no stage named {name!r}")


def settings_env_names() -> set[str]:
    """Every environment variable config/settings.py reads."""
    source = (ROOT / "config" / "settings.py").read_text(encoding="utf-8")
    pattern = r"""(?:os\.environ\.get|env_bool|env_int|env_list)\(\s*["']([A-Z_]+)["']"""
    return set(re.findall(pattern, source))


@pytest.fixture(scope="module")
def dockerfile() -> list[list[Instruction]]:
    return parse_dockerfile((ROOT / "Dockerfile").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def workflow() -> dict:
    path = ROOT / ".github" / "workflows" / "ci.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def web_services(compose: dict) -> dict[str, dict]:
    return {name: svc for name, svc in compose["services"].items() if svc.get("ports")}


# Dockerfile


def test_dockerfile_builds_with_uv_and_ships_a_slim_runtime_without_it(dockerfile):
    builder = stage_named(dockerfile, "builder")
    runtime = dockerfile[-1]

    assert runtime[0].args.lower().endswith(" as runtime")
    assert re.match(r"python:\S+-slim", runtime[0].args)
    # The virtualenv copied from the builder needs the same Python at the same path.
    assert builder[0].args.split()[0] == runtime[0].args.split()[0]
    runs = " ".join(i.args for i in builder if i.keyword == "RUN")
    assert "uv sync --locked --no-dev" in runs
    assert any(i.keyword == "COPY" and "--from=uv" in i.args for i in builder)
    assert not any("uv" in i.args.split() for i in runtime if i.keyword in {"RUN", "CMD"})
    assert any(i.keyword == "COPY" and "--from=builder" in i.args for i in runtime)


def test_static_files_are_collected_at_build_with_a_throwaway_key(dockerfile):
    builder = stage_named(dockerfile, "builder")
    collect = [i.args for i in builder if i.keyword == "RUN" and "collectstatic" in i.args]

    assert len(collect) == 1
    assert "--noinput" in collect[0]
    assert re.search(r"\bSECRET_KEY=\S+", collect[0])
    # The placeholder must not outlive the RUN: no ENV or ARG carries a key into the image.
    for stage in dockerfile:
        for i in stage:
            assert not (i.keyword in {"ENV", "ARG"} and "SECRET_KEY" in i.args)


def test_runtime_runs_as_an_unprivileged_user(dockerfile):
    runtime = dockerfile[-1]
    users = [i.args for i in runtime if i.keyword == "USER"]

    assert users, "the runtime stage never switches away from root"
    uid, _, gid = users[-1].partition(":")
    # Numeric, so an orchestrator can check it is not root without reading /etc/passwd.
    assert uid.isdigit() and gid.isdigit()
    assert int(uid) != 0 and int(gid) != 0
    created = " ".join(i.args for i in runtime if i.keyword == "RUN")
    assert f"--uid {uid}" in created and f"--gid {gid}" in created, "user never created"
    # The server starts after the switch, so it never runs as root.
    keywords = [i.keyword for i in runtime]
    assert keywords.index("USER") < keywords.index("CMD")


def test_healthcheck_calls_the_health_endpoint_on_the_served_port(dockerfile):
    runtime = dockerfile[-1]
    checks = [i.args for i in runtime if i.keyword == "HEALTHCHECK"]

    assert len(checks) == 1
    options, _, command = checks[0].partition("CMD ")
    assert "--interval=" in options and "--timeout=" in options
    assert f"http://127.0.0.1:{CONTAINER_PORT}{HEALTH_PATH}" in " ".join(exec_form(command))
    assert [i.args for i in runtime if i.keyword == "EXPOSE"] == [CONTAINER_PORT]


def test_cmd_serves_the_asgi_application_with_the_chosen_server(dockerfile):
    runtime = dockerfile[-1]
    cmds = [exec_form(i.args) for i in runtime if i.keyword == "CMD"]

    assert len(cmds) == 1
    cmd = cmds[0]
    assert cmd[0] == ASGI_SERVER
    assert "config.asgi:application" in cmd
    assert cmd[cmd.index("--port") + 1] == CONTAINER_PORT
    bind_flag = "--host" if ASGI_SERVER == "uvicorn" else "--bind"
    assert cmd[cmd.index(bind_flag) + 1] == "0.0.0.0"  # noqa: S104 - inside the container


def test_asgi_application_named_by_the_image_exists():
    from config import asgi

    assert callable(asgi.application)


def test_dockerignore_keeps_secrets_and_local_state_out():
    patterns = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()

    for required in (".env", ".git/", ".venv/", "db.sqlite3*", "staticfiles/"):
        assert required in patterns
    for needed in ("manage.py", "pyproject.toml", "uv.lock", "config/", "templates/"):
        assert needed not in patterns


# compose.yaml


def test_compose_runs_redis_with_a_health_check(compose):
    redis = compose["services"]["redis"]

    assert redis["image"].startswith("redis:7")
    assert "redis-cli" in redis["healthcheck"]["test"]


def test_compose_database_matches_the_project(compose):
    services = compose["services"]
    if USES_POSTGRESQL:
        db = services["db"]
        assert db["image"] == "postgres:15"
        assert "pg_isready" in db["healthcheck"]["test"]
        assert db["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
        assert any(v.endswith(":/var/lib/postgresql/data") for v in db["volumes"])
    else:
        assert "db" not in services
        for name in ("migrate", *web_services(compose)):
            assert "data:/app/data" in services[name]["volumes"]


def test_compose_runs_the_expected_web_processes_on_loopback_ports(compose):
    webs = web_services(compose)
    expected = {"web1": "8001", "web2": "8002"} if USES_POSTGRESQL else {"web1": "8001"}

    assert set(webs) == set(expected)
    for name, host_port in expected.items():
        assert webs[name]["ports"] == [f"127.0.0.1:{host_port}:{CONTAINER_PORT}"]
        assert webs[name]["build"] == "."


def test_web_environment_is_production_and_points_at_the_services(compose):
    for name, web in web_services(compose).items():
        env = web["environment"]
        assert env["DEBUG"] == "false", name
        assert env["SECRET_KEY"].startswith("${SECRET_KEY:?"), "SECRET_KEY must be required"
        assert env["ALLOWED_HOSTS"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        if USES_POSTGRESQL:
            db_env = compose["services"]["db"]["environment"]
            url = f"postgresql://{db_env['POSTGRES_USER']}:${{POSTGRES_PASSWORD}}@db:5432/"
            assert env["DATABASE_URL"] == url + db_env["POSTGRES_DB"]
        else:
            assert env["DATABASE_URL"] == "sqlite:////app/data/db.sqlite3"


def test_every_variable_compose_sets_is_read_by_the_project(compose):
    known = settings_env_names()
    if ASGI_SERVER == "uvicorn":
        known |= {"FORWARDED_ALLOW_IPS", "WEB_CONCURRENCY"}  # read by uvicorn itself
    for name, web in web_services(compose).items():
        assert set(web["environment"]) <= known, (name, set(web["environment"]) - known)


def test_web_starts_after_healthy_services_and_finished_migrations(compose):
    services = compose["services"]
    migrate = services["migrate"]
    needed = {"redis": "service_healthy"}
    if USES_POSTGRESQL:
        needed["db"] = "service_healthy"

    assert migrate["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert migrate["restart"] == "no"
    assert {k: v["condition"] for k, v in migrate["depends_on"].items()} == needed
    for name, web in web_services(compose).items():
        conditions = {k: v["condition"] for k, v in web["depends_on"].items()}
        assert conditions == {**needed, "migrate": "service_completed_successfully"}, name


def test_web_command_is_the_image_command_or_trusts_proxy_headers(compose):
    for web in web_services(compose).values():
        if ASGI_SERVER == "uvicorn":
            assert "command" not in web  # the image's CMD
            assert web["environment"]["FORWARDED_ALLOW_IPS"] == "*"
        else:
            assert web["command"][:2] == ["daphne", "--proxy-headers"]
            assert "config.asgi:application" in web["command"]


# GitHub Actions workflow


def test_workflow_runs_on_push_and_pull_request(workflow):
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True

    assert "push" in triggers and "pull_request" in triggers


def test_workflow_starts_the_services_the_project_uses(workflow):
    job = workflow["jobs"]["test"]
    services = job["services"]

    assert services["redis"]["image"].startswith("redis:7")
    assert "--health-cmd" in services["redis"]["options"]
    assert job["env"]["REDIS_URL"] == "redis://127.0.0.1:6379/0"
    if USES_POSTGRESQL:
        postgres = services["postgres"]
        assert postgres["image"] == "postgres:15"
        assert "--health-cmd pg_isready" in postgres["options"]
        assert job["env"]["DATABASE_URL"].startswith(
            "postgresql://postgres:postgres@127.0.0.1:5432/"
        )
    else:
        assert "postgres" not in services
        assert "DATABASE_URL" not in job["env"]


def test_workflow_installs_lints_and_runs_the_test_command(workflow):
    runs = [step.get("run", "") for step in workflow["jobs"]["test"]["steps"]]
    commands = [shlex.split(line) for run in runs for line in run.splitlines() if line]

    assert ["uv", "sync", "--locked"] in commands
    assert ["uv", "run", "ruff", "check", "."] in commands
    assert ["uv", "run", "ruff", "format", "--check", "."] in commands
    assert commands[-1] == ["uv", "run", "pytest"]
    assert commands.index(["uv", "sync", "--locked"]) < commands.index(["uv", "run", "pytest"])
