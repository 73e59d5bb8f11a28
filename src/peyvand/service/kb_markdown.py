"""Light Markdown for knowledge-base articles, made safe: the text is escaped first, then only headings, lists,
bold and http(s) links are turned into HTML, so nothing an author types can become a script or an attribute."""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

__all__ = ["markdown_plain", "render_markdown"]

_HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*[-*•]\s+(.+)$")
# «۱.» as well as «1.» and «1)»: Persian writers number with Persian digits.
_NUMBERED = re.compile(r"^\s*[0-9۰-۹٠-٩]+[.)]\s+(.+)$")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
# Run on escaped text: the URL cannot hold a quote or an angle bracket (they are entities by now), and only
# http(s) is a link: javascript:, data: and the rest stay text.
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+)\)")
# A heading inside an article sits below the page's own title.
_HEADING_TAGS = {1: "h2", 2: "h3", 3: "h4"}


def _inline(escaped: str) -> str:
    text = _LINK.sub(r'<a href="\2" rel="nofollow noopener noreferrer" target="_blank">\1</a>', escaped)
    return _BOLD.sub(r"<strong>\1</strong>", text)


def render_markdown(text: str) -> SafeString:
    """The article's text as HTML: `#` headings, `-`/`*` and numbered lists, `**bold**`, `[text](https://…)`
    links, blank lines between paragraphs and single line breaks kept."""
    html: list[str] = []
    paragraph: list[str] = []
    list_tag = ""

    def close_paragraph() -> None:
        if paragraph:
            html.append("<p>" + "<br>".join(paragraph) + "</p>")
            paragraph.clear()

    def close_list() -> None:
        nonlocal list_tag
        if list_tag:
            html.append(f"</{list_tag}>")
            list_tag = ""

    for raw in (text or "").replace("\r\n", "\n").split("\n"):
        line = escape(raw.rstrip())
        if not line.strip():
            close_paragraph()
            close_list()
            continue
        heading = _HEADING.match(line)
        bullet = _BULLET.match(line)
        numbered = _NUMBERED.match(line)
        if heading:
            close_paragraph()
            close_list()
            tag = _HEADING_TAGS[len(heading.group(1))]
            html.append(f"<{tag}>{_inline(heading.group(2))}</{tag}>")
        elif bullet or numbered:
            close_paragraph()
            wanted = "ul" if bullet else "ol"
            if list_tag != wanted:
                close_list()
                html.append(f"<{wanted}>")
                list_tag = wanted
            item = (bullet or numbered).group(1)  # type: ignore[union-attr]
            html.append(f"<li>{_inline(item)}</li>")
        else:
            close_list()
            paragraph.append(_inline(line.strip()))
    close_paragraph()
    close_list()
    return mark_safe("\n".join(html))  # noqa: S308 - every piece of the author's text was escaped above


def markdown_plain(text: str, *, limit: int = 220) -> str:
    """The article's text without its Markdown marks, on one line, cut at `limit` characters: for lists and
    suggestions (escaped by the template like any text)."""
    lines = []
    for raw in (text or "").split("\n"):
        line = raw.strip()
        line = _HEADING.sub(r"\2", line)
        line = _BULLET.sub(r"\1", line)
        line = _NUMBERED.sub(r"\1", line)
        lines.append(line)
    plain = " ".join(" ".join(lines).split())
    plain = _LINK.sub(r"\1", _BOLD.sub(r"\1", plain))
    if len(plain) > limit:
        plain = plain[: limit - 1].rstrip() + "…"
    return plain
