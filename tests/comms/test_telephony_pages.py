"""The call log (page and API) in each user's scope, click-to-call through a cloud PBX's originate address, the
customer form filled from an unknown caller's call, extensions kept by administrators, and the pop-up and
click-to-call hooks on staff pages."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from peyvand.comms.models import ChannelAccount
from peyvand.comms.telephony.models import Call, Extension
from peyvand.comms.telephony.services import call_event_from_payload, extension_set
from peyvand.customers.models import Customer, CustomerPhone, Interaction

MOBILE = "+989121234567"


@pytest.fixture
def pbx(db):
    return ChannelAccount.objects.create(
        channel="call", provider="webhook", name="PBX", inbound_token="page-token", is_default=True
    )


@pytest.fixture
def calls(pbx, customer_a, customer_b, agent_a, agent_b):
    CustomerPhone.objects.create(customer=customer_a, number=MOBILE)
    CustomerPhone.objects.create(customer=customer_b, number="+989351234567")
    Extension.objects.create(account=pbx, user=agent_a, number="101")
    Extension.objects.create(account=pbx, user=agent_b, number="201")
    for call_id, number, ext in (("a-1", MOBILE, "101"), ("b-1", "+989351234567", "201")):
        call_event_from_payload(account=pbx, payload={"event": "ringing", "call_id": call_id, "from": number,
                                                      "extension": ext})  # fmt: skip
        call_event_from_payload(account=pbx, payload={"event": "hangup", "call_id": call_id, "duration": 65,
                                                      "status": "answered"})  # fmt: skip
    return Call.objects.get(pbx_call_id="a-1"), Call.objects.get(pbx_call_id="b-1")


def test_the_call_log_shows_an_agent_their_teams_calls_only(client, calls, agent_a):
    mine, theirs = calls
    client.force_login(agent_a)
    response = client.get(reverse("comms:telephony:calls"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-call-id="{mine.pk}"' in html and f'data-call-id="{theirs.pk}"' not in html
    assert "۱:۰۵" in html  # the duration, in Persian digits
    assert 'dir="rtl"' in html


def test_the_call_log_filters_by_number_in_any_form(client, calls, admin):
    mine, theirs = calls
    client.force_login(admin)
    html = client.get(reverse("comms:telephony:calls"), {"number": "۰۹۳۵ ۱۲۳ ۴۵۶۷"}).content.decode()
    assert f'data-call-id="{theirs.pk}"' in html and f'data-call-id="{mine.pk}"' not in html
    # Bad filter values show the whole log, not an error.
    assert client.get(reverse("comms:telephony:calls"), {"status": "nonsense", "cursor": "zz"}).status_code == 200


def test_the_call_log_needs_a_login(client, calls):
    assert client.get(reverse("comms:telephony:calls")).status_code == 302


def test_the_api_lists_calls_in_scope(api_client, calls, agent_a, agent_b, admin):
    mine, theirs = calls
    items = api_client(agent_a).get("/api/v1/comms/telephony/calls").json()["items"]
    assert [c["id"] for c in items] == [mine.pk]
    assert items[0]["duration_seconds"] == 65 and items[0]["from_number"] == MOBILE
    assert {c["id"] for c in api_client(admin).get("/api/v1/comms/telephony/calls").json()["items"]} == {
        mine.pk, theirs.pk,
    }  # fmt: skip
    filtered = api_client(admin).get("/api/v1/comms/telephony/calls", {"number": "09121234567"}).json()["items"]
    assert [c["id"] for c in filtered] == [mine.pk]


def test_another_teams_agent_gets_404_for_a_call(api_client, calls, agent_b):
    mine, theirs = calls
    assert api_client(agent_b).get(f"/api/v1/comms/telephony/calls/{mine.pk}").status_code == 404
    assert api_client(agent_b).get(f"/api/v1/comms/telephony/calls/{theirs.pk}").status_code == 200


def test_the_api_refuses_bad_filters_and_anonymous_callers(api_client, calls, agent_a):
    assert api_client(agent_a).get("/api/v1/comms/telephony/calls", {"status": "exploded"}).status_code == 422
    assert api_client(agent_a).get("/api/v1/comms/telephony/calls", {"limit": 0}).status_code == 422
    assert api_client(None).get("/api/v1/comms/telephony/calls").status_code == 401


# --- click-to-call -----------------------------------------------------------------------------------------


class _OriginateStub(BaseHTTPRequestHandler):
    """A cloud PBX's originate address: records each request, answers as `status` says."""

    received: list[tuple[dict[str, str], dict[str, object]]] = []
    status = 200

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        type(self).received.append((dict(self.headers), json.loads(self.rfile.read(length))))
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def originate(pbx):
    _OriginateStub.received, _OriginateStub.status = [], 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OriginateStub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    pbx.config = {"originate_url": f"http://127.0.0.1:{server.server_address[1]}/originate"}
    pbx.secrets = {"originate_secret": "orig-secret"}
    pbx.save()
    yield _OriginateStub
    server.shutdown()


def test_click_to_call_asks_the_pbx_to_ring_the_agents_extension(api_client, originate, customer_a, agent_a, pbx):
    Extension.objects.create(account=pbx, user=agent_a, number="101")
    response = api_client(agent_a).post(
        "/api/v1/comms/telephony/click-to-call",
        {"number": "0912 123 4567", "customer_id": customer_a.pk},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    [(headers, body)] = originate.received
    assert body["extension"] == "101" and body["number"] == MOBILE
    assert headers["X-Peyvand-Secret"] == "orig-secret"
    assert response.json()["reference"] == body["reference"]


def test_click_to_call_without_an_extension_or_for_anothers_customer_is_refused(
    api_client, originate, customer_b, agent_a, pbx
):
    client = api_client(agent_a)
    url = "/api/v1/comms/telephony/click-to-call"
    no_extension = client.post(url, {"number": "09121234567"}, content_type="application/json")
    assert no_extension.status_code == 422 and "extension" in no_extension.json()["error"]["fields"]
    Extension.objects.create(account=pbx, user=agent_a, number="101")
    other = client.post(url, {"number": "09121234567", "customer_id": customer_b.pk}, content_type="application/json")
    assert other.status_code == 404
    assert client.post(url, {"number": "not a number"}, content_type="application/json").status_code == 422
    assert originate.received == []


def test_click_to_call_says_so_when_the_pbx_refuses(client, originate, agent_a, pbx):
    Extension.objects.create(account=pbx, user=agent_a, number="101")
    originate.status = 503
    client.force_login(agent_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(reverse("comms:telephony:click_to_call"), {"number": MOBILE}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422 and "did not place the call" in response.content.decode()
    originate.status = 200
    response = client.post(reverse("comms:telephony:click_to_call"), {"number": MOBILE}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "will ring" in response.content.decode()


def test_the_customer_page_has_a_click_to_call_button_and_every_page_the_pop_up(client, customer_a, agent_a, pbx):
    CustomerPhone.objects.create(customer=customer_a, number=MOBILE)
    client.force_login(agent_a)
    html = client.get(reverse("customers:detail", args=[customer_a.pk])).content.decode()
    assert reverse("comms:telephony:click_to_call") in html and f'value="{MOBILE}"' in html
    assert 'id="pv-call-popups"' in html and "peyvand/call-popup.js" in html


# --- a customer from an unknown caller --------------------------------------------------------------------


def test_an_unknown_callers_call_makes_a_customer_with_the_number_filled(client, pbx, agent_a):
    Extension.objects.create(account=pbx, user=agent_a, number="101")
    call = call_event_from_payload(
        account=pbx, payload={"event": "ringing", "call_id": "u-1", "from": "09121112233", "extension": "101"}
    ).call
    call_event_from_payload(account=pbx, payload={"event": "hangup", "call_id": "u-1", "status": "answered",
                                                  "duration": 30})  # fmt: skip
    client.force_login(agent_a)
    url = reverse("comms:telephony:new_customer", args=[call.pk])
    page = client.get(url)
    assert page.status_code == 200 and "0912 111 2233" in page.content.decode()
    response = client.post(url, {
        "kind": "person", "first_name": "سارا", "last_name": "کریمی", "lifecycle_stage": "prospect",
        "phones-0-number": "0912 111 2233", "phones-0-kind": "mobile", "phones-primary": "0",
        "emails-0-email": "", "emails-0-kind": "work", "addresses-0-kind": "home",
    })  # fmt: skip
    customer = Customer.objects.get(first_name="سارا")
    assert response.status_code == 302 and response.url == reverse("customers:detail", args=[customer.pk])
    call.refresh_from_db()
    assert call.customer == customer
    entry = Interaction.objects.get(customer=customer, channel="call")
    assert entry.duration_seconds == 30


def test_a_call_that_is_not_yours_gives_404_for_the_new_customer_form(client, pbx, agent_a, agent_b):
    Extension.objects.create(account=pbx, user=agent_a, number="101")
    call = call_event_from_payload(
        account=pbx, payload={"event": "ringing", "call_id": "u-2", "from": "09121112233", "extension": "101"}
    ).call
    client.force_login(agent_b)
    assert client.get(reverse("comms:telephony:new_customer", args=[call.pk])).status_code == 404


def test_only_administrators_assign_extensions(pbx, agent_a, agent_b, admin):
    with pytest.raises(PermissionDenied):
        extension_set(by=agent_a, account=pbx, user=agent_a, number="101")
    assert extension_set(by=admin, account=pbx, user=agent_a, number="101").number == "101"
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        extension_set(by=admin, account=pbx, user=agent_b, number="101")
    assert extension_set(by=admin, account=pbx, user=agent_a, number="") is None
    assert not Extension.objects.exists()


# --- the extensions page ------------------------------------------------------------------------------------


def test_an_administrator_assigns_extensions_on_the_page(client, pbx, admin, agent_a, agent_b):
    client.force_login(admin)
    url = reverse("comms:telephony:extensions")
    page = client.get(url)
    assert page.status_code == 200 and f'name="ext-{agent_a.pk}"' in page.content.decode()
    response = client.post(url, {f"ext-{agent_a.pk}": "101", f"ext-{agent_b.pk}": "۲۰۱"})
    assert response.status_code == 302
    assert dict(Extension.objects.values_list("user__username", "number")) == {"agent_a": "101", "agent_b": "201"}
    # A number someone else holds: the form again with the error, nothing else changed.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    clash = client.post(url, {f"ext-{agent_a.pk}": "101", f"ext-{agent_b.pk}": "101"})
    assert clash.status_code == 422 and "belongs to" in clash.content.decode()
    assert Extension.objects.get(user=agent_b).number == "201"


def test_an_agent_gets_403_on_the_extensions_page(client, pbx, agent_a):
    client.force_login(agent_a)
    assert client.get(reverse("comms:telephony:extensions")).status_code == 403
    assert client.post(reverse("comms:telephony:extensions"), {f"ext-{agent_a.pk}": "999"}).status_code == 403
    assert not Extension.objects.exists()


def test_the_call_log_api_answers_422_for_dates_it_cannot_hold_and_reads_any_offset(api_client, agent_a):
    client = api_client(agent_a)
    odd = client.get("/api/v1/comms/telephony/calls", {"since": "5069-07-14T00:23:02+20:02"})
    assert odd.status_code == 422
    offset = client.get("/api/v1/comms/telephony/calls", {"since": "2026-07-14T00:23:02+20:02"})
    assert offset.status_code == 200
