"""A mailbox's own settings at work on a real IMAP server on loopback: a folder with a Persian name (modified
UTF-7 on the wire, RFC 3501 §5.1.3), one poll at a time per mailbox, and the team and owner it gives the
tickets and leads it opens."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage

import pytest
from django.utils import timezone

from comms.imap_server import ImapServer
from factories import UserFactory
from peyvand.accounts.models import Role
from peyvand.comms.mail.imap import POLL_RUNNING, mailbox_poll
from peyvand.comms.mail.models import MailboxPoll
from peyvand.comms.mail.utf7 import decode_folder, encode_folder
from peyvand.comms.models import Channel, ChannelAccount, InboundMessage, InboundStatus
from peyvand.sales.models import Lead
from peyvand.service.models import Ticket

# «صندوق پشتیبانی» as an IMAP server names it (worked out by hand from UTF-16BE, base64 with "," for "/").
SUPPORT_FOLDER = "صندوق پشتیبانی"
SUPPORT_FOLDER_WIRE = "&BjUGRgYvBkgGQg- &Bn4GNAYqBswGKAYnBkYGzA-"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _mailbox(imap: ImapServer, **config) -> ChannelAccount:
    return ChannelAccount.objects.create(
        channel=Channel.EMAIL,
        provider="smtp",
        name="پشتیبانی",
        inbound_token=f"mail-box-{ChannelAccount.objects.count()}",
        config={
            "from_address": "support@example.ir",
            "host": "127.0.0.1",
            "security": "none",
            "imap_host": imap.host,
            "imap_port": str(imap.port),
            "imap_security": "none",
            "imap_username": "support@example.ir",
            "unknown_sender": "ticket",
            **config,
        },
        secrets={"imap_password": "secret"},
    )


def _mail(sender="Reza Ahmadi <reza@prospect.example>", subject="همکاری", message_id="m-1@prospect.example") -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@example.ir"
    message["Subject"] = subject
    message["Message-ID"] = f"<{message_id}>"
    message.set_content("مایل به همکاری هستیم.")
    return message.as_bytes()


@pytest.fixture
def imap():
    server = ImapServer().start()
    yield server
    server.stop()


@pytest.fixture
def persian_imap():
    server = ImapServer(folder=SUPPORT_FOLDER_WIRE).start()
    yield server
    server.stop()


# Folder names.


@pytest.mark.parametrize(
    ("name", "wire"),
    [
        (SUPPORT_FOLDER, SUPPORT_FOLDER_WIRE),
        ("INBOX", "INBOX"),
        ("Tom & Jerry", "Tom &- Jerry"),
        # RFC 3501 §5.1.3's own example.
        ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
        ("پ/&", "&Bn4-/&-"),
    ],
)
def test_folder_names_go_to_and_from_modified_utf7(name, wire):
    assert encode_folder(name) == wire
    assert decode_folder(wire) == name


@pytest.mark.parametrize("broken", ["&Bn4", "&!!!-", "&Bn-"])
def test_a_broken_folder_name_is_refused_not_misread(broken):
    with pytest.raises(ValueError):
        decode_folder(broken)


def test_a_mailbox_watches_a_folder_with_a_persian_name(db, persian_imap):
    mailbox = _mailbox(persian_imap, imap_folder=SUPPORT_FOLDER)
    persian_imap.add(_mail())

    result = mailbox_poll(mailbox)

    assert (result.stored, result.error) == (1, "")
    select = next(c for c in persian_imap.commands if " SELECT " in c)
    assert select.endswith(f'SELECT "{SUPPORT_FOLDER_WIRE}"')
    assert InboundMessage.objects.get().subject == "همکاری"


def test_a_folder_that_is_not_there_is_reported(db, persian_imap):
    mailbox = _mailbox(persian_imap, imap_folder="صندوق فروش")
    persian_imap.add(_mail())

    result = mailbox_poll(mailbox)

    assert result.stored == 0 and result.error.startswith("select:")
    assert persian_imap.unseen() == [1]


# One poll at a time.


def test_a_mailbox_being_polled_is_not_polled_again_at_once(db, imap):
    mailbox = _mailbox(imap)
    imap.add(_mail())
    now = timezone.now()
    MailboxPoll.objects.create(account=mailbox, started_at=now, finished_at=now - dt.timedelta(minutes=1))

    result = mailbox_poll(mailbox)

    assert result.error == POLL_RUNNING and result.fetched == 0
    assert imap.commands == []  # the server was never asked
    state = MailboxPoll.objects.get(account=mailbox)
    assert state.started_at == now  # the running poll's record is left alone


def test_a_poll_whose_worker_died_does_not_lock_the_mailbox_for_ever(db, imap):
    mailbox = _mailbox(imap)
    imap.add(_mail())
    long_ago = timezone.now() - dt.timedelta(hours=2)
    MailboxPoll.objects.create(account=mailbox, started_at=long_ago, finished_at=None)

    result = mailbox_poll(mailbox)

    assert (result.stored, result.error) == (1, "")
    state = MailboxPoll.objects.get(account=mailbox)
    assert state.finished_at >= state.started_at > long_ago


def test_polls_one_after_another_each_run(db, imap):
    mailbox = _mailbox(imap)
    imap.add(_mail())
    assert mailbox_poll(mailbox).stored == 1
    imap.add(_mail(message_id="m-2@prospect.example"))
    assert mailbox_poll(mailbox).stored == 1


def test_the_poll_now_task_leaves_a_running_mailbox_to_its_poll(db, imap):
    from peyvand.comms.mail.tasks import mailbox_poll_now_task

    mailbox = _mailbox(imap)
    other = _mailbox(imap)
    imap.add(_mail())
    now = timezone.now()
    MailboxPoll.objects.create(account=mailbox, started_at=now, finished_at=None)

    outcome = mailbox_poll_now_task.call([mailbox.pk, other.pk])

    assert outcome[str(mailbox.pk)]["error"] == POLL_RUNNING
    assert outcome[str(other.pk)] == {"fetched": 1, "stored": 1, "error": ""}


# Team and owner.


def test_tickets_from_the_mailbox_go_to_its_team(db, imap, team_b):
    mailbox = _mailbox(imap, ticket_team=str(team_b.pk))
    imap.add(_mail(sender="ali@newco.example", subject="قیمت"))

    mailbox_poll(mailbox)

    ticket = Ticket.objects.get()
    assert ticket.team == team_b


def test_a_mailbox_naming_a_team_that_is_gone_still_opens_the_ticket(db, imap):
    mailbox = _mailbox(imap, ticket_team="999999")
    imap.add(_mail(sender="ali@newco.example"))

    mailbox_poll(mailbox)

    assert InboundMessage.objects.get().status == InboundStatus.PROCESSED
    assert Ticket.objects.count() == 1


def test_a_lead_from_an_unknown_sender_gets_the_mailboxs_team_and_owner_and_no_author(db, imap, team_a, team_b, admin):
    seller = UserFactory(username="seller", role=Role.AGENT, team=team_a)
    mailbox = _mailbox(imap, unknown_sender="lead", lead_team=str(team_b.pk), lead_owner="seller")
    imap.add(_mail())

    mailbox_poll(mailbox)

    lead = Lead.objects.get()
    assert (lead.team, lead.owner, lead.created_by) == (team_b, seller, None)
    assert lead.email == "reza@prospect.example"
    assert InboundMessage.objects.get().related == lead


def test_a_lead_owner_alone_brings_their_team(db, imap, team_a, admin):
    seller = UserFactory(username="seller", role=Role.AGENT, team=team_a)
    mailbox = _mailbox(imap, unknown_sender="lead", lead_owner="seller")
    imap.add(_mail())

    mailbox_poll(mailbox)

    lead = Lead.objects.get()
    assert (lead.team, lead.owner, lead.created_by) == (team_a, seller, None)


def test_a_lead_owner_who_left_leaves_the_lead_to_the_team(db, imap, team_b, admin):
    UserFactory(username="gone", role=Role.AGENT, team=team_b, is_active=False)
    mailbox = _mailbox(imap, unknown_sender="lead", lead_owner="gone", lead_team=str(team_b.pk))
    imap.add(_mail())

    mailbox_poll(mailbox)

    lead = Lead.objects.get()
    assert (lead.team, lead.owner) == (team_b, None)
    # Never handed to an administrator just because one exists.
    assert lead.owner != admin
