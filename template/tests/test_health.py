"""The health check answers load balancers and Docker's HEALTHCHECK (see config/health.py)."""

from unittest.mock import patch

import pytest
from django.db import OperationalError, connection
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_healthy_database_answers_200_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_head_request_is_answered_too(client):
    assert client.head("/healthz").status_code == 200


def test_unreachable_database_answers_503_without_details(client):
    error = OperationalError('connection to server at "db" failed: password=secret')
    with patch.object(connection, "ensure_connection", side_effect=error):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}
    assert b"secret" not in response.content


def test_answers_a_host_outside_allowed_hosts(client):
    # Docker and load balancers call the container by its IP address.
    response = client.get("/healthz", HTTP_HOST="172.18.0.5:8000")

    assert response.status_code == 200


@override_settings(SECURE_SSL_REDIRECT=True)
def test_answers_plain_http_when_https_redirect_is_on(client):
    assert client.get("/healthz").status_code == 200
    # Everything else is still redirected: only the health check is exempt.
    assert client.get("/accounts/login/").status_code == 301


def test_other_methods_and_paths_go_through_the_normal_stack(client):
    assert client.post("/healthz").status_code == 404
    assert client.get("/healthz/").status_code == 404
    assert client.get("/healthz", HTTP_HOST="evil.example").status_code == 200
    assert client.get("/accounts/login/", HTTP_HOST="evil.example").status_code == 400


async def test_async_stack_serves_the_check(async_client):
    response = await async_client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
