"""A small IMAP4rev1 server on loopback for the tests of mail polling (RFC 3501, the part imaplib uses here):
CAPABILITY, LOGIN, LIST, SELECT/EXAMINE, UID SEARCH UNSEEN|ALL, UID FETCH (RFC822, RFC822.SIZE, BODY.PEEK[],
BODY.PEEK[HEADER], FLAGS), UID STORE ±FLAGS, NOOP, LOGOUT.

Messages are added by the test (`add(raw)`); each has a UID and flags. `drop_on_store` makes the server hang up
instead of answering a STORE, as a crash between storing a mail and marking it seen looks to the poller.

`folder` is the mailbox's name as the server knows it, on the wire: a non-ASCII name is given here already in
modified UTF-7 (RFC 3501 §5.1.3), as Dovecot or Courier store and LIST it, and a client sending raw UTF-8 is
told there is no such mailbox (RFC 3501 allows no 8-bit in mailbox names). `ssl_context` makes it an IMAPS
server (TLS from the first byte, port 993's way). `select_pause` (seconds) holds every SELECT that long, as a
slow server does, so a test can start a second poll while the first is still at work.
"""

from __future__ import annotations

import re
import socket
import socketserver
import ssl
import threading
import time
from dataclasses import dataclass, field

__all__ = ["ImapServer", "StoredMessage"]


@dataclass
class StoredMessage:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)

    @property
    def header(self) -> bytes:
        end = self.raw.find(b"\r\n\r\n")
        return self.raw if end < 0 else self.raw[: end + 4]


def _tokens(line: str) -> list[str]:
    """Words of a command line; quoted strings unquoted, parenthesised lists kept whole."""
    out: list[str] = []
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == " ":
            i += 1
        elif ch == '"':
            j, buf = i + 1, []
            while j < len(line) and line[j] != '"':
                if line[j] == "\\" and j + 1 < len(line):
                    j += 1
                buf.append(line[j])
                j += 1
            out.append("".join(buf))
            i = j + 1
        elif ch == "(":
            depth, j = 0, i
            while j < len(line):
                depth += line[j] == "("
                depth -= line[j] == ")"
                j += 1
                if depth == 0:
                    break
            out.append(line[i:j])
            i = j
        else:
            j = line.find(" ", i)
            j = len(line) if j < 0 else j
            out.append(line[i:j])
            i = j
    return out


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def send(self, data: bytes | str) -> None:
        self.wfile.write(data.encode() if isinstance(data, str) else data)

    def handle(self) -> None:
        box = self.server.box
        logged_in = False
        self.send("* OK [CAPABILITY IMAP4rev1] test IMAP server ready\r\n")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            box.commands.append(text)
            parts = _tokens(text)
            if len(parts) < 2:
                self.send("* BAD empty command\r\n")
                continue
            tag, command, args = parts[0], parts[1].upper(), parts[2:]
            if command == "CAPABILITY":
                self.send(f"* CAPABILITY IMAP4rev1\r\n{tag} OK CAPABILITY completed\r\n")
            elif command == "NOOP":
                self.send(f"{tag} OK NOOP completed\r\n")
            elif command == "LOGOUT":
                self.send(f"* BYE logging out\r\n{tag} OK LOGOUT completed\r\n")
                return
            elif command == "LOGIN":
                if args[:2] == [box.username, box.password]:
                    logged_in = True
                    self.send(f"{tag} OK LOGIN completed\r\n")
                else:
                    self.send(f"{tag} NO [AUTHENTICATIONFAILED] invalid credentials\r\n")
            elif not logged_in:
                self.send(f"{tag} BAD log in first\r\n")
            elif command == "LIST":
                self.send(f'* LIST (\\HasNoChildren) "/" "{box.folder}"\r\n{tag} OK LIST completed\r\n')
            elif command in ("SELECT", "EXAMINE"):
                if box.select_pause:
                    time.sleep(box.select_pause)
                if args and args[0] != box.folder:
                    self.send(f"{tag} NO [NONEXISTENT] no such mailbox\r\n")
                    continue
                with box.lock:
                    count, next_uid = len(box.messages), box.next_uid
                self.send(
                    f"* {count} EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 1] UIDs valid\r\n"
                    f"* OK [UIDNEXT {next_uid}] next\r\n* FLAGS (\\Seen \\Deleted)\r\n"
                    f"{tag} OK [READ-WRITE] {command} completed\r\n"
                )
            elif command == "UID" and args:
                if not self.uid(tag, args[0].upper(), args[1:]):
                    return
            else:
                self.send(f"{tag} BAD unknown command\r\n")

    def uid(self, tag: str, command: str, args: list[str]) -> bool:
        box = self.server.box
        if command == "SEARCH":
            criteria = " ".join(args).upper()
            with box.lock:
                uids = [m.uid for m in box.messages if criteria == "ALL" or "\\Seen" not in m.flags]
            self.send(f"* SEARCH {' '.join(map(str, uids))}".rstrip() + f"\r\n{tag} OK SEARCH completed\r\n")
            return True
        if command not in ("FETCH", "STORE") or len(args) < 2:
            self.send(f"{tag} BAD unknown UID command\r\n")
            return True
        wanted = box.select(args[0])
        if command == "STORE":
            if box.drop_on_store:
                box.drop_on_store -= 1
                return False  # hang up, as a crashed connection does
            op, flags = args[1].upper(), set(re.findall(r"\\?\w+", " ".join(args[2:])))
            for seq, message in wanted:
                with box.lock:
                    if op.startswith("-"):
                        message.flags -= flags
                    else:
                        message.flags |= flags
                self.send(f"* {seq} FETCH (UID {message.uid} FLAGS ({' '.join(sorted(message.flags))}))\r\n")
            self.send(f"{tag} OK STORE completed\r\n")
            return True
        items = " ".join(args[1:]).upper()
        for seq, message in wanted:
            out = [f"UID {message.uid}".encode()]
            if "RFC822.SIZE" in items:
                out.append(f"RFC822.SIZE {len(message.raw)}".encode())
            if "FLAGS" in items:
                out.append(f"FLAGS ({' '.join(sorted(message.flags))})".encode())
            body = None
            if "BODY.PEEK[HEADER]" in items or "BODY[HEADER]" in items:
                body = (b"BODY[HEADER]", message.header)
            elif "BODY.PEEK[]" in items or "BODY[]" in items or re.search(r"\bRFC822\b(?!\.)", items):
                body = (b"BODY[]" if "BODY" in items else b"RFC822", message.raw)
                if "PEEK" not in items:
                    with box.lock:
                        message.flags.add("\\Seen")
            self.send(f"* {seq} FETCH (".encode() + b" ".join(out))
            if body is not None:
                self.send(b" " + body[0] + b" {" + str(len(body[1])).encode() + b"}\r\n" + body[1])
            self.send(b")\r\n")
            box.fetched.append(message.uid)
        self.send(f"{tag} OK FETCH completed\r\n")
        return True


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    box: ImapServer
    ssl_context: ssl.SSLContext | None = None

    def get_request(self) -> tuple[socket.socket, object]:
        sock, address = super().get_request()
        if self.ssl_context is not None:
            sock = self.ssl_context.wrap_socket(sock, server_side=True)
        return sock, address


class ImapServer:
    """A running server: `host`, `port`, the mailbox's `messages`, the `commands` it was sent."""

    # The test mailbox's own password, not a secret.
    def __init__(
        self,
        *,
        username: str = "support@example.ir",
        password: str = "secret",  # noqa: S107
        folder: str = "INBOX",
        ssl_context: ssl.SSLContext | None = None,
    ):
        self.username, self.password, self.folder = username, password, folder
        self.select_pause = 0.0
        self.messages: list[StoredMessage] = []
        self.commands: list[str] = []
        self.fetched: list[int] = []
        self.next_uid = 1
        self.drop_on_store = 0
        self.lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.box = self
        self._server.ssl_context = ssl_context
        self.host, self.port = self._server.server_address[:2]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> ImapServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add(self, raw: bytes, *, seen: bool = False) -> StoredMessage:
        with self.lock:
            message = StoredMessage(uid=self.next_uid, raw=raw, flags={"\\Seen"} if seen else set())
            self.next_uid += 1
            self.messages.append(message)
        return message

    def unseen(self) -> list[int]:
        with self.lock:
            return [m.uid for m in self.messages if "\\Seen" not in m.flags]

    def select(self, uid_set: str) -> list[tuple[int, StoredMessage]]:
        """The (sequence number, message) pairs a UID set ("3", "1:4", "2,5", "1:*") names."""
        with self.lock:
            numbered = list(enumerate(self.messages, start=1))
        chosen: list[tuple[int, StoredMessage]] = []
        for piece in uid_set.split(","):
            low, _sep, high = piece.partition(":")
            top = max((m.uid for _n, m in numbered), default=0)
            lo = top if low == "*" else int(low)
            hi = lo if not _sep else (top if high == "*" else int(high))
            lo, hi = min(lo, hi), max(lo, hi)
            chosen.extend((n, m) for n, m in numbered if lo <= m.uid <= hi)
        return chosen
