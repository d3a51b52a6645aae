"""Builders of raw test mails (bytes exactly as a client or MTA would send them)."""

from __future__ import annotations

import base64
from email.utils import make_msgid


def raw_mail(
    *,
    subject: str = "订单 8899 还没发货",
    body: str = "你好，我的订单 8899 三天了还没有发货，请帮忙查一下。",
    sender: str = "王小明 <xiaoming@example.cn>",
    to: str = "service@yunshan.example",
    cc: str = "",
    message_id: str | None = None,
    in_reply_to: str = "",
    references: str = "",
    extra: str = "",
    charset: str = "utf-8",
) -> bytes:
    mid = message_id or make_msgid(domain="example.cn")
    encoded_subject = "=?utf-8?B?" + base64.b64encode(subject.encode()).decode() + "?="
    headers = [
        f"From: {sender}" if sender else "",
        f"To: {to}",
        f"Cc: {cc}" if cc else "",
        f"Subject: {encoded_subject}",
        f"Message-ID: {mid}",
        "Date: Mon, 23 Nov 2026 10:00:00 +0800",
        f"In-Reply-To: {in_reply_to}" if in_reply_to else "",
        f"References: {references}" if references else "",
        "MIME-Version: 1.0",
        f"Content-Type: text/plain; charset={charset}",
        "Content-Transfer-Encoding: base64",
        extra,
    ]
    head = "\r\n".join(h for h in headers if h)
    return (head + "\r\n\r\n").encode() + base64.encodebytes(
        body.encode(charset if charset != "gb2312" else "gb18030")
    )


def parse_forever_if_marked(raws: list[bytes], seconds: float = 0) -> list:
    """`parsing.parse_many` in the parsing process, except that a mail with `X-Test: pathological`
    is chewed on forever (a stand-in for a mail the parser would take hours over)."""
    from kefu.mail import parsing

    real = parsing.parse

    def parse(raw: bytes, **kwargs: object) -> parsing.ParsedMail:
        while b"X-Test: pathological" in raw:
            pass
        return real(raw, **kwargs)

    parsing.parse = parse
    try:
        return parsing.parse_many(raws, seconds)
    finally:
        parsing.parse = real
