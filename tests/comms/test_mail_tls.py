"""An office mail server with a self-signed certificate: refused while the mailbox checks certificates (the
default), taken once an administrator turns the check off, with a warning on the mailbox page. A real SMTPS
server (aiosmtpd) and a real IMAPS server on loopback, their certificate made by the test."""

from __future__ import annotations

import datetime as dt
import email
import ipaddress
import ssl
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
from django.conf import settings as django_settings
from django.test import Client

from comms.imap_server import ImapServer
from peyvand.comms.mail.imap import mailbox_poll
from peyvand.comms.mail.sending import SmtpProvider
from peyvand.comms.models import Channel, ChannelAccount, InboundMessage, OutboundMessage
from peyvand.comms.providers import TemporaryError

x509 = pytest.importorskip("cryptography.x509", reason="the cryptography package makes the test certificate")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[str, str]:
    """A self-signed certificate for mail.office.local and 127.0.0.1: (cert file, key file)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mail.office.local")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("mail.office.local"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_file), str(key_file)


def _server_context(certificate) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtps(certificate, free_port):
    from aiosmtpd.controller import Controller

    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port, ssl_context=_server_context(certificate))
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def imaps(certificate):
    server = ImapServer(ssl_context=_server_context(certificate)).start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(db, smtps, imaps):
    controller, _inbox = smtps
    return ChannelAccount.objects.create(
        channel=Channel.EMAIL,
        provider="smtp",
        name="دفتر مرکزی",
        inbound_token="mail-tls",
        config={
            "from_address": "support@example.ir",
            "host": "127.0.0.1",
            "port": str(controller.port),
            "security": "ssl",
            "imap_host": imaps.host,
            "imap_port": str(imaps.port),
            "imap_security": "ssl",
            "imap_username": "support@example.ir",
            "unknown_sender": "none",
        },
        secrets={"imap_password": "secret"},
    )


def _verify(mailbox, value: str) -> None:
    mailbox.config = {**mailbox.config, "tls_verify": value}
    mailbox.save(update_fields=["config"])


def _incoming() -> bytes:
    message = EmailMessage()
    message["From"] = "someone@example.com"
    message["To"] = "support@example.ir"
    message["Subject"] = "سلام"
    message["Message-ID"] = "<tls-1@example.com>"
    message.set_content("متن")
    return message.as_bytes()


def test_a_self_signed_smtp_server_is_refused_until_the_check_is_turned_off(mailbox, smtps):
    _controller, inbox = smtps
    message = OutboundMessage.objects.create(
        channel=Channel.EMAIL, to="sara@example.com", subject="آزمایش", body="متن", idempotency_key="tls-send"
    )

    with pytest.raises(TemporaryError, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        SmtpProvider(mailbox).send(message)
    assert inbox.messages == []

    _verify(mailbox, "no")
    SmtpProvider(mailbox).send(message)

    (raw,) = inbox.messages
    assert email.message_from_bytes(raw, policy=default_policy)["Subject"] == "آزمایش"


def test_a_self_signed_imap_server_is_refused_until_the_check_is_turned_off(mailbox, imaps):
    imaps.add(_incoming())

    refused = mailbox_poll(mailbox)

    assert refused.stored == 0 and "connect" in refused.error
    assert "certificate" in refused.error.lower()
    assert InboundMessage.objects.count() == 0
    _verify(mailbox, "no")

    taken = mailbox_poll(mailbox)

    assert (taken.stored, taken.error) == (1, "")
    assert InboundMessage.objects.get().subject == "سلام"


def test_an_unreadable_setting_keeps_checking(mailbox, imaps):
    _verify(mailbox, "maybe")
    imaps.add(_incoming())
    assert mailbox_poll(mailbox).stored == 0


def test_the_mailbox_page_warns_when_certificates_are_not_checked(mailbox, admin):
    client = Client()
    client.force_login(admin)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "certificates are not checked" not in client.get("/comms/mail/mailboxes/").content.decode()
    _verify(mailbox, "no")
    page = client.get("/comms/mail/mailboxes/").content.decode()
    assert "pv-mailbox-warning" in page and "certificates are not checked" in page
