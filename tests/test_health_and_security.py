"""Operations: the health check, security headers, the OpenAPI document and docs page (no CDN), and a
production configuration that passes `peyvand check --deploy`."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_needs_no_log_in_and_no_token(db):
    assert Client().get("/healthz").status_code == 200


def test_healthz_answers_503_when_the_database_does_not(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise connection.OperationalError("database is down")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"


@pytest.mark.parametrize("url", ["/healthz", "/api/v1/customers", "/api/v1/openapi.json", "/login/", "/"])
def test_security_headers_are_on_every_response(client, url):
    response = client.get(url)
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]


def test_the_session_cookie_is_http_only_and_same_site(settings):
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.SESSION_COOKIE_SAMESITE in ("Lax", "Strict")


# --- OpenAPI and the docs page ---------------------------------------------------------------------

EXPECTED_PATHS = {
    "/api/v1/customers": {"get", "post"},
    "/api/v1/customers/lookup": {"get"},
    "/api/v1/customers/{customer_id}": {"get", "patch", "delete"},
    "/api/v1/customers/{customer_id}/timeline": {"get"},
    "/api/v1/customers/{customer_id}/history": {"get"},
    "/api/v1/customers/{customer_id}/history/{number}/restore": {"post"},
    "/api/v1/customers/{customer_id}/consents": {"put"},
    "/api/v1/organizations": {"get", "post"},
    "/api/v1/organizations/{org_id}": {"get", "patch", "delete"},
    "/api/v1/organizations/{org_id}/tree": {"get"},
    "/api/v1/organizations/{org_id}/contacts": {"get"},
    "/api/v1/interactions": {"get", "post"},
    "/api/v1/interactions/{interaction_id}": {"get", "patch", "delete"},
}


def test_openapi_document_lists_every_endpoint(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = {path: set(ops) - {"parameters"} for path, ops in schema["paths"].items()}
    for path, methods in EXPECTED_PATHS.items():
        assert methods <= paths.get(path, set()), path


def test_openapi_document_declares_bearer_auth(client):
    schemes = client.get("/api/v1/openapi.json").json()["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())


def test_docs_page_loads_nothing_from_another_site(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert refs, html
    for ref in refs:
        assert ref.startswith("/static/"), ref
    assert "//" not in re.sub(r"https?://", "", "".join(refs))
    assert not re.search(r"https?://(?!www\.w3\.org)", html), "the docs page names another site"


def test_the_docs_pages_own_files_are_served(client):
    html = client.get("/api/v1/docs").content.decode()
    for ref in re.findall(r"""(?:src|href)\s*=\s*["'](/static/[^"']+)["']""", html):
        response = client.get(ref)
        assert response.status_code == 200, ref
        b"".join(response.streaming_content) if response.streaming else response.content


# --- production settings -----------------------------------------------------------------------------


def _peyvand(*args, extra_env=None):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PEYVAND_", "DJANGO_", "SECRET_KEY")) and k != "DATABASE_URL"
    }
    env.update(extra_env or {})
    return subprocess.run(  # noqa: S603 - our own CLI with fixed arguments
        [sys.executable, "-m", "peyvand", *args], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def test_production_settings_pass_the_deployment_check(tmp_path):
    result = _peyvand(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        extra_env={
            "PEYVAND_PRODUCTION": "1",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "PEYVAND_ALLOWED_HOSTS": "crm.example.com",
            "PEYVAND_STATIC_ROOT": str(tmp_path / "static"),
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = _peyvand("check", extra_env={"PEYVAND_PRODUCTION": "1", "PEYVAND_ALLOWED_HOSTS": "crm.example.com"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_an_api_body_past_the_upload_limit_is_refused_with_413_not_a_server_error(api_client, agent_a, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    body = '{"first_name": "' + "x" * (2 * 1024 * 1024) + '"}'
    response = api_client(agent_a).post("/api/v1/customers", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
