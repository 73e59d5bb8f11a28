"""Log-in lock-out (django-axes): repeated wrong passwords lock the account, even against the right one."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import authenticate
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"  # what UserFactory sets


def _log_in(username, password, ip="10.0.0.7"):
    request = RequestFactory().post("/login/", REMOTE_ADDR=ip, HTTP_USER_AGENT="pytest")
    return authenticate(request=request, username=username, password=password)


def test_the_right_password_logs_in(agent_a):
    assert _log_in("agent_a", PASSWORD) == agent_a


def test_four_failures_do_not_lock_the_account(agent_a):
    for _ in range(4):
        assert _log_in("agent_a", "wrong") is None
    assert _log_in("agent_a", PASSWORD) == agent_a


def test_five_failed_logins_lock_the_account_even_with_the_right_password(agent_a):
    for _ in range(5):
        assert _log_in("agent_a", "wrong") is None
    assert _log_in("agent_a", PASSWORD) is None
    assert AccessAttempt.objects.filter(username="agent_a").exists()


def test_one_users_failures_do_not_lock_another_user(agent_a, agent_b):
    for _ in range(5):
        _log_in("agent_a", "wrong")
    assert _log_in("agent_b", PASSWORD) == agent_b


def _login_url():
    try:
        return reverse("login")
    except NoReverseMatch:
        pytest.skip("the log-in page (URL name 'login') is not there yet")


def test_five_failures_at_the_login_page_lock_the_account(client, agent_a):
    url = _login_url()
    for _ in range(5):
        response = client.post(url, {"username": "agent_a", "password": "wrong"})
        assert response.status_code in (200, 403, 429)
        assert "_auth_user_id" not in client.session
    response = client.post(url, {"username": "agent_a", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert response.status_code in (403, 429)


def test_the_login_page_logs_in_with_the_right_password(client, agent_a):
    url = _login_url()
    response = client.post(url, {"username": "agent_a", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(agent_a.pk)


def test_a_successful_login_before_the_limit_resets_the_count(client, agent_a):
    url = _login_url()
    for _round in range(2):
        for _ in range(4):
            client.post(url, {"username": "agent_a", "password": "wrong"})
        client.post(url, {"username": "agent_a", "password": PASSWORD})
        assert client.session["_auth_user_id"] == str(agent_a.pk)
        client.logout()
