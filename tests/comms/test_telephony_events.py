"""A cloud PBX's call events reach the CRM through the webhook: one call per PBX call id, each event once, numbers
in any form matched to the customer, the finished call on the timeline; refused without the account's token, 400
(never 500) for what cannot be read, with the payload kept. And the dial plan's routing hint."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from factories import CustomerFactory, UserFactory
from peyvand.accounts.models import Role
from peyvand.comms.models import ChannelAccount, InboundMessage
from peyvand.comms.telephony.models import Call, CallEvent, CallStatus, Extension
from peyvand.customers.models import CustomerPhone, Interaction

MOBILE = "+989121234567"


@pytest.fixture
def pbx(db):
    return ChannelAccount.objects.create(
        channel="call", provider="webhook", name="ابر تلفن", inbound_token="pbx-token-1", config={"fallback": "700"}
    )


@pytest.fixture
def caller(customer_a):
    CustomerPhone.objects.create(customer=customer_a, number=MOBILE, is_primary=True)
    return customer_a


def post(client: Client, payload, token: str = "pbx-token-1", **headers):  # noqa: S107
    body = payload if isinstance(payload, bytes | str) else json.dumps(payload)
    return client.post(f"/comms/telephony/{token}/events", data=body, content_type="application/json", **headers)


def test_it_records_a_ringing_call_with_the_callers_customer_and_the_agent_of_the_extension(
    client, pbx, caller, agent_a
):
    Extension.objects.create(account=pbx, user=agent_a, number="101")
    response = post(client, {"event": "ringing", "call_id": "c-1", "from": "0912 123 4567", "to": "02191000000",
                             "extension": "101"})  # fmt: skip
    assert response.status_code == 200, response.content
    call = Call.objects.get(account=pbx, pbx_call_id="c-1")
    assert (call.customer, call.agent, call.status, call.direction) == (caller, agent_a, CallStatus.RINGING, "in")
    assert call.from_number == MOBILE and call.from_raw == "0912 123 4567"
    assert call.team_id == caller.team_id


def test_a_finished_call_lands_on_the_timeline_with_duration_and_recording(client, pbx, caller, agent_a):
    Extension.objects.create(account=pbx, user=agent_a, number="101")
    post(client, {"event": "ringing", "call_id": "c-2", "from": MOBILE, "extension": "101"})
    post(client, {"event": "answered", "call_id": "c-2", "extension": "101"})
    response = post(client, {"event": "hangup", "call_id": "c-2", "duration": 95,
                             "recording_url": "https://pbx.example.ir/rec/c-2.mp3"})  # fmt: skip
    assert response.status_code == 200
    call = Call.objects.get(pbx_call_id="c-2")
    assert call.status == CallStatus.ANSWERED and call.duration_seconds == 95
    interaction = Interaction.objects.get(customer=caller)
    assert interaction.channel == "call" and interaction.direction == "in" and interaction.duration_seconds == 95
    assert interaction.by == agent_a
    assert "https://pbx.example.ir/rec/c-2.mp3" in interaction.body
    assert interaction.related == call and call.interaction == interaction


def test_the_same_event_posted_twice_is_recorded_once(client, pbx, caller):
    first = post(client, {"event": "hangup", "call_id": "c-3", "from": MOBILE, "duration": 10, "status": "answered"})
    again = post(client, {"event": "hangup", "call_id": "c-3", "from": MOBILE, "duration": 10, "status": "answered"})
    assert first.json()["duplicate"] is False and again.json()["duplicate"] is True
    assert Call.objects.filter(pbx_call_id="c-3").count() == 1
    assert CallEvent.objects.filter(pbx_call_id="c-3").count() == 1
    assert Interaction.objects.filter(customer=caller).count() == 1


def test_a_hang_up_that_comes_before_the_ring_still_makes_a_whole_missed_call(client, pbx, caller):
    post(client, {"event": "hangup", "call_id": "c-4", "from": MOBILE})
    post(client, {"event": "ringing", "call_id": "c-4", "from": MOBILE})
    call = Call.objects.get(pbx_call_id="c-4")
    assert call.status == CallStatus.MISSED and call.ended_at is not None
    assert Interaction.objects.get(customer=caller).subject


@pytest.mark.parametrize(
    "raw",
    ["+989121234567", "00989121234567", "09121234567", "9121234567", "۰۹۱۲ ۱۲۳ ۴۵۶۷", "0912-123-4567",
     "tel:+98-912-123-4567", "sip:09121234567@pbx.local", "٠٩١٢١٢٣٤٥٦٧"],
)  # fmt: skip
def test_a_number_in_any_form_finds_the_customer(client, pbx, caller, raw):
    assert post(client, {"event": "ringing", "call_id": f"n-{raw}", "from": raw}).status_code == 200
    call = Call.objects.get(pbx_call_id=f"n-{raw}")
    assert call.customer == caller and call.from_number == MOBILE and call.from_raw == raw


def test_a_number_that_is_not_one_is_kept_as_it_came(client, pbx):
    assert post(client, {"event": "ringing", "call_id": "x-1", "from": "Anonymous"}).status_code == 200
    call = Call.objects.get(pbx_call_id="x-1")
    assert (call.from_number, call.from_raw, call.customer) == ("", "Anonymous", None)


def test_a_wrong_token_is_refused_and_records_nothing(client, pbx):
    assert post(client, {"event": "ringing", "call_id": "w-1"}, token="not-the-token").status_code == 403
    pbx.is_active = False
    pbx.save()
    assert post(client, {"event": "ringing", "call_id": "w-1"}).status_code == 403
    assert not Call.objects.exists()


def test_a_token_of_another_channel_is_refused(client, db):
    ChannelAccount.objects.create(channel="sms", provider="console", name="sms", inbound_token="sms-token")
    assert post(client, {"event": "ringing", "call_id": "w-2"}, token="sms-token").status_code == 403


def test_with_a_webhook_secret_the_body_must_be_signed(client, pbx):
    pbx.secrets = {"webhook_secret": "k3y"}
    pbx.save()
    body = json.dumps({"event": "ringing", "call_id": "s-1", "from": MOBILE})
    assert post(client, body).status_code == 401
    assert post(client, body, HTTP_X_PEYVAND_SIGNATURE="sha256=" + "0" * 64).status_code == 401
    signature = hmac.new(b"k3y", body.encode(), hashlib.sha256).hexdigest()
    assert post(client, body, HTTP_X_PEYVAND_SIGNATURE=f"sha256={signature}").status_code == 200
    assert Call.objects.filter(pbx_call_id="s-1").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", None),
        (b"\xff\xfe\x00broken", None),
        ("[1, 2]", "__all__"),
        ({"event": "exploded", "call_id": "m-1"}, "event"),
        ({"event": "ringing"}, "call_id"),
        ({"event": "ringing", "call_id": {"a": 1}}, "call_id"),
        ({"event": "hangup", "call_id": "m-2", "duration": "long"}, "duration"),
        ({"event": "hangup", "call_id": "m-3", "duration": -5}, "duration"),
        ({"event": "hangup", "call_id": "m-4", "recording_url": "javascript:alert(1)"}, "recording_url"),
        ({"event": "ringing", "call_id": "m-5", "timestamp": "yesterday"}, "timestamp"),
        ({"event": "ringing", "call_id": "m-6", "direction": "sideways"}, "direction"),
        ({"event": "ringing", "call_id": "x" * 101}, "call_id"),
    ],
)
def test_a_malformed_event_is_answered_400_and_kept(client, pbx, body, field):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = post(client, body)
    assert response.status_code == 400
    error = response.json()["error"]
    if field:
        assert field in error["fields"]
    kept = InboundMessage.objects.get(account=pbx)
    assert kept.status == "failed" and kept.channel == "call" and kept.raw
    assert not Call.objects.exists()


def test_an_oversized_body_is_refused_without_a_500(client, pbx):
    response = post(client, {"event": "ringing", "call_id": "big", "from": "1" * 200_000})
    assert response.status_code == 413


def test_the_webhook_accepts_only_post(client, pbx):
    assert client.get("/comms/telephony/pbx-token-1/events").status_code == 405


# --- the routing hint --------------------------------------------------------------------------------------


def test_the_route_hint_names_the_account_managers_extension(client, pbx, caller, agent_a):
    Extension.objects.create(account=pbx, user=agent_a, number="205")
    response = client.get("/comms/telephony/pbx-token-1/route", {"number": "09121234567"})
    assert response.status_code == 200 and response.content == b"205"
    data = client.get("/comms/telephony/pbx-token-1/route", {"number": MOBILE, "format": "json"}).json()
    assert data == {"target": "205", "kind": "extension", "reason": "account_manager"}


def test_the_route_hint_falls_back_to_the_team_queue_then_the_pbxs_fallback(client, pbx, caller, team_a):
    pbx.config = {"fallback": "700", "team_queues": {str(team_a.pk): "600"}}
    pbx.save()
    # The account manager has no extension: the customer's team's queue.
    assert client.get("/comms/telephony/pbx-token-1/route", {"number": MOBILE}).content == b"600"
    # An unknown caller, and one that is not a number: the fallback.
    assert client.get("/comms/telephony/pbx-token-1/route", {"number": "09350000000"}).content == b"700"
    assert client.get("/comms/telephony/pbx-token-1/route", {"number": "anonymous"}).content == b"700"


def test_the_route_hint_uses_the_extension_on_the_staff_record(client, pbx, team_a):
    owner = UserFactory(username="owner2", role=Role.AGENT, team=team_a, extension="330")
    customer = CustomerFactory(team=team_a, owner=owner)
    CustomerPhone.objects.create(customer=customer, number="+982188776655", kind="work")
    assert client.get("/comms/telephony/pbx-token-1/route", {"number": "021-8877-6655"}).content == b"330"


def test_the_route_hint_takes_at_most_two_queries_after_the_token(client, pbx, caller, agent_a):
    Extension.objects.create(account=pbx, user=agent_a, number="205")
    with CaptureQueriesContext(connection) as queries:
        client.get("/comms/telephony/pbx-token-1/route", {"number": MOBILE})
    # One for the account (the token), one for the customer's owner, one for the extension.
    assert len(queries) <= 3, [q["sql"] for q in queries]


def test_the_route_hint_refuses_a_wrong_token(client, pbx, caller):
    assert client.get("/comms/telephony/wrong/route", {"number": MOBILE}).status_code == 403


def test_a_call_whose_hang_up_never_came_is_ended_as_missed_and_logged(client, pbx, caller):
    import datetime as dt

    from django.utils import timezone

    from peyvand.comms.telephony.services import calls_close_stale

    post(client, {"event": "ringing", "call_id": "stale-1", "from": MOBILE})
    post(client, {"event": "ringing", "call_id": "fresh-1", "from": MOBILE})
    Call.objects.filter(pbx_call_id="stale-1").update(started_at=timezone.now() - dt.timedelta(hours=5))
    assert calls_close_stale() == 1
    stale, fresh = Call.objects.get(pbx_call_id="stale-1"), Call.objects.get(pbx_call_id="fresh-1")
    assert stale.status == CallStatus.MISSED and stale.ended_at is not None
    assert fresh.ended_at is None
    assert Interaction.objects.filter(customer=caller).count() == 1
    # The real hang-up, late: a duplicate.
    assert post(client, {"event": "hangup", "call_id": "stale-1"}).json()["duplicate"] is True
    assert calls_close_stale() == 0


def test_the_stale_call_check_is_in_the_workers_schedule(db):
    from peyvand.comms.schedules import channel_schedules

    names = dict(channel_schedules())
    assert names["telephony_close_stale_calls"]() is not None


def test_nul_characters_are_taken_out_rather_than_failing_the_database(client, pbx):
    response = post(client, {"event": "ringing", "call_id": "nul\u0000-1", "from": "09121234567\u0000",
                             "extra": {"k\u0000": ["\u0000"]}})  # fmt: skip
    assert response.status_code == 200
    call = Call.objects.get(pbx_call_id="nul-1")
    assert call.from_number == MOBILE


def test_a_call_first_heard_of_by_its_hang_up_learns_its_number_from_the_late_ring(client, pbx, caller):
    post(client, {"event": "hangup", "call_id": "late-1", "duration": 12, "status": "answered"})
    call = Call.objects.get(pbx_call_id="late-1")
    assert call.customer is None and not Interaction.objects.exists()
    post(client, {"event": "ringing", "call_id": "late-1", "from": "0912 123 4567"})
    call.refresh_from_db()
    assert call.from_number == MOBILE and call.customer == caller and call.status == CallStatus.ANSWERED
    assert Interaction.objects.get(customer=caller).duration_seconds == 12


def test_a_pbx_with_bad_settings_is_refused_in_words_not_a_500(api_client, pbx, agent_a):
    pbx.provider = "asterisk"
    pbx.config = {"port": "not-a-port", "extension_max_digits": "many"}
    pbx.save()
    Extension.objects.create(account=pbx, user=agent_a, number="101")
    response = api_client(agent_a).post(
        "/api/v1/comms/telephony/click-to-call", {"number": MOBILE}, content_type="application/json"
    )
    assert response.status_code == 422
    assert post(Client(), {"event": "ringing", "call_id": "bad-1", "from": "101", "to": MOBILE}).status_code == 200
    assert Call.objects.get(pbx_call_id="bad-1").direction == "out"
