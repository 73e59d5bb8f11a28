"""IMAP's modified UTF-7 for folder names (RFC 3501 §5.1.3): how a folder called «صندوق پشتیبانی» is named on
the wire. Printable ASCII stands for itself except "&", written "&-"; any other run of characters is UTF-16BE in
base64 (with "," for "/", no padding) between "&" and "-"."""

from __future__ import annotations

import base64
import binascii

__all__ = ["decode_folder", "encode_folder"]


def _is_direct(ch: str) -> bool:
    return 0x20 <= ord(ch) <= 0x7E


def _shifted(run: str) -> str:
    data = base64.b64encode(run.encode("utf-16-be")).decode("ascii").rstrip("=")
    return "&" + data.replace("/", ",") + "-"


def encode_folder(name: str) -> str:
    """A folder name as the IMAP server knows it."""
    out: list[str] = []
    run: list[str] = []
    for ch in name:
        if _is_direct(ch):
            if run:
                out.append(_shifted("".join(run)))
                run = []
            out.append("&-" if ch == "&" else ch)
        else:
            run.append(ch)
    if run:
        out.append(_shifted("".join(run)))
    return "".join(out)


def decode_folder(name: str) -> str:
    """A folder name as the server sends it, readable; ValueError for one that is not modified UTF-7."""
    out: list[str] = []
    i = 0
    while i < len(name):
        ch = name[i]
        if ch != "&":
            out.append(ch)
            i += 1
            continue
        end = name.find("-", i + 1)
        if end < 0:
            raise ValueError(f"unterminated shift at {i}: {name!r}")
        chunk = name[i + 1 : end]
        if not chunk:
            out.append("&")
        else:
            data = chunk.replace(",", "/")
            try:
                raw = base64.b64decode(data + "=" * (-len(data) % 4), validate=True)
                out.append(raw.decode("utf-16-be"))
            except (binascii.Error, UnicodeDecodeError) as exc:
                raise ValueError(f"bad shifted run {chunk!r}: {exc}") from None
        i = end + 1
    return "".join(out)
