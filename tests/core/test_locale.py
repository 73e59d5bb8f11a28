"""Pages are Persian first; the language switch and API clients can ask for English."""

import pytest

pytestmark = pytest.mark.django_db


def test_it_serves_the_login_page_in_persian_even_to_an_english_browser(client):
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    html = response.content.decode()
    assert '<html lang="fa" dir="rtl"' in html
    assert response["Content-Language"] == "fa"


def test_it_switches_pages_to_english_with_the_language_switch(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    html = client.get("/login/").content.decode()
    assert '<html lang="en" dir="ltr"' in html


def test_it_answers_api_errors_in_the_language_the_client_asks_for(client):
    english = client.get("/api/v1/customers", HTTP_ACCEPT_LANGUAGE="en").json()
    persian = client.get("/api/v1/customers", HTTP_ACCEPT_LANGUAGE="fa").json()
    assert english["error"]["code"] == persian["error"]["code"] == "unauthenticated"
    assert english["error"]["message"].startswith("Log in")
