"""Markdown → safe HTML (markdown-it-py, raw HTML off, then nh3's allow-list)."""

from __future__ import annotations

import functools
import html

import nh3
from markdown_it import MarkdownIt

from kefu.core.sanitize import clean_html


@functools.lru_cache(maxsize=1)
def _md() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")


def render_markdown(text: str) -> str:
    return clean_html(_md().render(text or ""))


def plain_text(text: str) -> str:
    """Markdown without its markup (for snippets and the bot's answers)."""
    return html.unescape(nh3.clean(_md().render(text or ""), tags=set())).strip()
