"""The PBXs a telephony account can be: Asterisk/Issabel over AMI, or a cloud PBX that posts webhooks. Calls carry
no outgoing messages, so `send` refuses; what a PBX is asked to do is place a call (click-to-call)."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
import uuid
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_noop

from peyvand.comms.providers import ConfigField, PermanentError, SendResult

if TYPE_CHECKING:
    from peyvand.accounts.models import User
    from peyvand.comms.models import ChannelAccount, OutboundMessage

__all__ = ["AsteriskPbx", "OriginateError", "WebhookPbx", "pbx_for"]

TIMEOUT = 5.0


class OriginateError(Exception):
    """The PBX could not be reached or refused to place the call."""


class _Pbx(ABC):
    channel = "call"
    name = ""
    label = ""
    config_fields: tuple[ConfigField, ...] = ()

    def __init__(self, account: ChannelAccount) -> None:
        self.account = account
        self.config: dict[str, Any] = dict(account.config or {})
        self.secrets: dict[str, Any] = dict(account.secrets or {})

    def send(self, message: OutboundMessage) -> SendResult:
        raise PermanentError("A PBX does not send messages.")

    @abstractmethod
    def originate(self, *, extension: str, number: str, by: User | None = None) -> str:
        """Ring `extension`, then dial `number`; returns the PBX's reference of the call."""

    @abstractmethod
    def check(self) -> str:
        """What a settings page's "test" button says of this PBX; raises OriginateError when it is not reachable."""


_COMMON = (
    ConfigField(
        "extension_max_digits",
        gettext_noop("Longest extension number"),
        required=False,
        default="5",
        help=gettext_noop("Numbers this short are our own extensions, longer ones are outside lines."),
    ),
    ConfigField(
        "fallback_team_id",
        gettext_noop("Team that takes unknown callers (id)"),
        required=False,
        help=gettext_noop("Its members get the pop-up of a call no extension or account manager takes."),
    ),
    ConfigField(
        "fallback",
        gettext_noop("Fallback dial target"),
        required=False,
        help=gettext_noop("What the routing hint answers for a caller with no account manager or team queue."),
    ),
)


class AsteriskPbx(_Pbx):
    """Asterisk, Issabel, FreePBX: events come from the AMI listener (`peyvand ami_listen`), calls are placed with
    the AMI Originate action."""

    name = "asterisk"
    label = gettext_noop("Asterisk / Issabel (AMI)")
    config_fields = (
        ConfigField("host", gettext_noop("AMI host"), default="127.0.0.1"),
        ConfigField("port", gettext_noop("AMI port"), default="5038"),
        ConfigField("username", gettext_noop("AMI user")),
        ConfigField("secret", gettext_noop("AMI secret"), secret=True),
        ConfigField(
            "originate_channel",
            gettext_noop("Channel of an agent's phone"),
            required=False,
            default="PJSIP/{extension}",
            help=gettext_noop("SIP/{extension} on chan_sip systems (Issabel 4)."),
        ),
        ConfigField("originate_context", gettext_noop("Dial-plan context for outgoing calls"), default="from-internal"),
        ConfigField(
            "recording_url",
            gettext_noop("Recording address"),
            required=False,
            help=gettext_noop("With {uniqueid} and {file}, e.g. https://pbx.example/recordings/{file}"),
        ),
        *_COMMON,
    )

    def _address(self) -> tuple[str, int]:
        port = str(self.config.get("port") or "5038").strip()
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise OriginateError(f"the AMI port {port!r} is not a port number")
        return str(self.config.get("host") or "127.0.0.1"), int(port)

    def originate(self, *, extension: str, number: str, by: User | None = None) -> str:
        from peyvand.comms.telephony.ami import originate_action

        digits = "0" + number[3:] if number.startswith("+98") else "00" + number.lstrip("+")
        action_id = uuid.uuid4().hex[:16]
        action = originate_action(
            action_id=action_id,
            channel=str(self.config.get("originate_channel") or "PJSIP/{extension}").format(extension=extension),
            context=str(self.config.get("originate_context") or "from-internal"),
            exten=digits,
            caller_id=f"{by or ''} <{extension}>",
        )
        host, port = self._address()
        try:
            with socket.create_connection((host, port), timeout=TIMEOUT) as conn:
                reader = conn.makefile("rb")
                reader.readline()  # the banner: "Asterisk Call Manager/x.y"
                login = (
                    f"Action: Login\r\nActionID: {action_id}-login\r\nUsername: {self.config.get('username', '')}\r\n"
                    f"Secret: {self.secrets.get('secret', '')}\r\nEvents: off\r\n\r\n"
                )
                conn.sendall(login.encode())
                if _response(reader).get("Response") != "Success":
                    raise OriginateError("AMI login refused")
                conn.sendall(action.encode())
                answer = _response(reader)
                conn.sendall(b"Action: Logoff\r\n\r\n")
        except OSError as exc:
            raise OriginateError(f"AMI not reachable ({exc.__class__.__name__})") from exc
        if answer.get("Response") != "Success":
            raise OriginateError(answer.get("Message") or "AMI refused the call")
        return action_id

    def check(self) -> str:
        """Log in to the AMI and out again."""
        host, port = self._address()
        try:
            with socket.create_connection((host, port), timeout=TIMEOUT) as conn:
                reader = conn.makefile("rb")
                banner = reader.readline().decode("utf-8", "replace").strip()
                login = (
                    f"Action: Login\r\nActionID: peyvand-check\r\nUsername: {self.config.get('username', '')}\r\n"
                    f"Secret: {self.secrets.get('secret', '')}\r\nEvents: off\r\n\r\n"
                )
                conn.sendall(login.encode())
                answer = _response(reader)
                conn.sendall(b"Action: Logoff\r\n\r\n")
        except OSError as exc:
            raise OriginateError(f"AMI not reachable ({exc.__class__.__name__})") from exc
        if answer.get("Response") != "Success":
            raise OriginateError(answer.get("Message") or "AMI login refused")
        return banner or "AMI"


def _response(reader: Any) -> dict[str, str]:
    """The next Response block of an AMI stream, skipping events."""
    while True:
        block: dict[str, str] = {}
        while True:
            line = reader.readline()
            if not line:
                raise OriginateError("AMI closed the connection")
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            if not text:
                break
            key, _sep, value = text.partition(":")
            block[key.strip()] = value.strip()
        if "Response" in block:
            return block


class WebhookPbx(_Pbx):
    """A cloud PBX: it posts call events to /comms/telephony/<token>/events and places calls when its originate
    address is posted {"extension", "number", "reference"} with the shared secret in X-Peyvand-Secret."""

    name = "webhook"
    label = gettext_noop("Cloud PBX (webhook)")
    config_fields = (
        ConfigField("originate_url", gettext_noop("Address that places a call"), required=False),
        ConfigField("originate_secret", gettext_noop("Secret sent with click-to-call"), secret=True, required=False),
        *_COMMON,
    )

    def originate(self, *, extension: str, number: str, by: User | None = None) -> str:
        url = str(self.config.get("originate_url") or "")
        if not url.startswith(("http://", "https://")):
            raise OriginateError("no originate address is set for this PBX")
        reference = uuid.uuid4().hex[:16]
        body = json.dumps({"extension": extension, "number": number, "reference": reference}).encode()
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Peyvand-Secret": str(self.secrets.get("originate_secret", "")),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
                response.read(4096)
        except urllib.error.HTTPError as exc:
            raise OriginateError(f"the PBX answered {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise OriginateError(f"the PBX is not reachable ({exc.__class__.__name__})") from exc
        return reference

    def check(self) -> str:
        """A webhook PBX calls us; there is nothing to reach but its originate address, which is not called here
        (it would place a call)."""
        return str(self.config.get("originate_url") or "webhook")


def pbx_for(account: ChannelAccount) -> AsteriskPbx | WebhookPbx:
    return AsteriskPbx(account) if account.provider == "asterisk" else WebhookPbx(account)
