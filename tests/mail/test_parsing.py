"""The hardened parser: Chinese charsets exact, hostile input inert, nothing raised, nothing lost."""

from __future__ import annotations

import base64
import io
import time
import zipfile

import pytest

from kefu.mail.parsing import parse, safe_filename, split_quoted

GBK_ONLY = "朱镕基说：喆、堃、𠀀 都要正确显示"  # 镕/喆/堃 are GBK, not GB2312; 𠀀 is a GB18030 4-byte char


def b64(data: bytes) -> str:
    return base64.encodebytes(data).decode()


@pytest.mark.fault("E8")
def test_gb2312_label_holding_gbk_and_gb18030_chars_decodes_exactly():
    body = GBK_ONLY.encode("gb18030")
    subject = "=?gb2312?B?" + base64.b64encode("镕的订单".encode("gbk")).decode() + "?="
    raw = (
        f"From: =?gb2312?B?{base64.b64encode('张三'.encode('gbk')).decode()}?= <zhang@example.cn>\r\n"
        f"Subject: {subject}\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    ).encode() + b64(body).encode()
    parsed = parse(raw)
    assert parsed.subject == "镕的订单"
    assert parsed.from_name == "张三"
    assert parsed.text == GBK_ONLY
    assert "\ufffd" not in parsed.text + parsed.subject


@pytest.mark.fault("E8")
def test_eight_bit_gb2312_without_mime_headers():
    raw = "From: li@example.cn\r\nSubject: 退货申请\r\n\r\n我要退货，订单号 1234，商品有破损。\r\n".encode(
        "gb18030"
    )
    parsed = parse(raw)
    assert parsed.subject == "退货申请"
    assert "商品有破损" in parsed.text and "\ufffd" not in parsed.text


@pytest.mark.fault("E8")
def test_big5_decodes_as_big5_hkscs():
    text = "香港用戶：請問何時發貨？"
    raw = (
        b"From: hk@example.hk\r\nSubject: =?big5?B?" + base64.b64encode("查詢".encode("big5")) + b"?=\r\n"
        b"Content-Type: text/plain; charset=big5\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + text.encode("big5hkscs")
    )
    parsed = parse(raw)
    assert parsed.subject == "查詢" and parsed.text == text


@pytest.mark.fault("E8")
def test_unknown_charset_is_guessed_with_a_defect_note_and_utf8_labelled_latin1_is_utf8():
    raw = (
        b"From: a@example.cn\r\nSubject: x\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\n"
        + "客服你好，请问发票什么时候开？".encode()
    )
    parsed = parse(raw)
    assert "发票" in parsed.text
    assert any("unknown charset" in d for d in parsed.defects)
    raw = (
        b"From: a@example.cn\r\nSubject: x\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n"
        + "Grüße 你好".encode()
    )
    assert parse(raw).text == "Grüße 你好"


@pytest.mark.fault("E6", "F3")
def test_rfc2231_filename_and_hostile_filenames_are_made_safe():
    parts = [
        ("filename*=utf-8''%E5%8F%91%E7%A5%A8.pdf", b"%PDF invoice"),
        ('filename="../../etc/passwd"', b"root"),
        ('filename="evil\\x00.txt"'.replace("\\x00", "\x00"), b"nul"),
        (f'filename="{"长" * 500}.txt"', b"long"),
    ]
    body = [
        "From: a@example.cn",
        "Subject: files",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="B"',
        "",
        "--B",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "见附件",
        "",
    ]
    for disposition, data in parts:
        body += [
            "--B",
            "Content-Type: application/octet-stream",
            f"Content-Disposition: attachment; {disposition}",
            "Content-Transfer-Encoding: base64",
            "",
            b64(data),
            "",
        ]
    body.append("--B--")
    parsed = parse("\r\n".join(body).encode())
    names = [a.name for a in parsed.attachments]
    assert names[0] == "发票.pdf"
    assert names[1] == "passwd"
    assert "\x00" not in names[2] and "/" not in "".join(names)
    assert len(names[3]) <= 200 and names[3].endswith(".txt")
    assert [a.content for a in parsed.attachments] == [d for _, d in parts]
    assert safe_filename("\u202egpj.exe") == "_gpj.exe"


@pytest.mark.fault("E9")
def test_hostile_html_is_sanitised_remote_images_blocked_cid_kept():
    html = (
        '<p onclick="steal()">你好<script>alert(1)</script></p>'
        '<a href="javascript:alert(1)">点我</a><a href="https://shop.example/o/1">订单</a>'
        '<div style="width: expression(alert(1))">css</div>'
        '<img src="https://tracker.example/pixel.gif"><img src="cid:logo@x"><img src="data:image/png;base64,AAAA">'
        "<svg><feImage href='javascript:alert(1)'/></svg><form action='https://evil'><input></form>"
    )
    raw = (
        "From: a@example.cn\r\nSubject: html\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        + html
    ).encode()
    parsed = parse(raw)
    out = parsed.html
    for bad in (
        "<script",
        "onclick",
        "javascript:",
        "expression",
        "tracker.example",
        "data:image",
        "<svg",
        "<form",
        "<input",
    ):
        assert bad not in out
    assert 'src="cid:logo@x"' in out and "https://shop.example/o/1" in out
    assert parsed.remote_images == 1
    assert "你好" in parsed.text and "订单" in parsed.text
    assert "tracker.example" in parse(raw, allow_remote_images=True).html


@pytest.mark.fault("E6")
def test_message_rfc822_nested_50_deep_is_one_attachment_not_a_crash():
    inner = b"From: deep@example.cn\r\nSubject: level 0\r\n\r\nbottom\r\n"
    for level in range(1, 51):
        inner = (
            (
                f"From: deep@example.cn\r\nSubject: level {level}\r\nMIME-Version: 1.0\r\n"
                f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n--b{level}\r\n'
                "Content-Type: text/plain\r\n\r\nlevel text\r\n"
                f"--b{level}\r\nContent-Type: message/rfc822\r\n\r\n"
            ).encode()
            + inner
            + f"\r\n--b{level}--\r\n".encode()
        )
    started = time.monotonic()
    parsed = parse(inner)
    assert time.monotonic() - started < 5
    assert parsed.subject == "level 50" and parsed.text == "level text"
    assert [a.name for a in parsed.attachments] == ["level 49.eml"]


@pytest.mark.fault("E6", "F4")
def test_zip_bomb_is_kept_as_a_file_and_not_unpacked():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", b"\0" * (50 * 1024 * 1024))
    bomb = buffer.getvalue()
    raw = (
        'From: a@example.cn\r\nSubject: bomb\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nsee zip\r\n--B\r\nContent-Type: application/zip\r\n"
        'Content-Disposition: attachment; filename="bomb.zip"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + b64(bomb)
        + "\r\n--B--\r\n"
    ).encode()
    parsed = parse(raw)
    assert [(a.name, len(a.content)) for a in parsed.attachments] == [("bomb.zip", len(bomb))]


@pytest.mark.fault("E6")
def test_thousand_recipients_bad_date_no_from():
    to = ", ".join(f"user{i}@example.cn" for i in range(1000))
    raw = f"To: {to}\r\nDate: 32 Foo 20xx 99:99\r\nSubject: many\r\n\r\nhi\r\n".encode()
    started = time.monotonic()
    parsed = parse(raw)
    assert time.monotonic() - started < 5
    assert len(parsed.to) == 1000
    assert parsed.from_email == "" and "no valid From address" in parsed.defects
    assert parsed.date is None and "invalid Date" in parsed.defects


def test_inline_cid_image_and_uuencode_are_attachments():
    png = b"\x89PNG\r\n\x1a\n" + b"x" * 20
    raw = (
        'From: a@example.cn\r\nSubject: img\r\nMIME-Version: 1.0\r\nContent-Type: multipart/related; boundary="R"\r\n\r\n'
        '--R\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>看图</p><img src="cid:pic1@x">\r\n'
        "--R\r\nContent-Type: image/png\r\nContent-ID: <pic1@x>\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + b64(png)
        + "\r\n--R--\r\n"
    ).encode()
    parsed = parse(raw)
    assert parsed.attachments[0].content == png and parsed.attachments[0].inline
    assert parsed.attachments[0].content_id == "pic1@x" and 'src="cid:pic1@x"' in parsed.html
    uu = (
        "begin 644 note.txt\n"
        + "".join(__import__("binascii").b2a_uu(b"hello uu").decode() for _ in [0])
        + "`\nend\n"
    )
    parsed = parse(f"From: a@example.cn\r\nSubject: uu\r\n\r\nsee file\n{uu}".encode())
    assert [(a.name, a.content) for a in parsed.attachments] == [("note.txt", b"hello uu")]


def test_quoted_history_and_signature_are_split_from_the_new_text():
    text = "好的，我明天寄回。\n\n-----原始邮件-----\n发件人: 客服\n内容：请寄回商品"
    assert split_quoted(text) == "好的，我明天寄回。"
    text = "Thanks, that works.\n\nOn Mon, 23 Nov 2026, Support wrote:\n> Please try again\n"
    assert split_quoted(text) == "Thanks, that works."
    assert split_quoted("我的问题\n-- \n张三\n电话 138") == "我的问题"
    assert split_quoted("> only a quote") == "> only a quote"


@pytest.mark.fault("E3")
def test_dsn_is_recognised():
    raw = (
        b"From: MAILER-DAEMON@mx.example.cn\r\nSubject: Undelivered Mail\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="D"\r\n\r\n'
        b"--D\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n"
        b"--D\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.cn\r\n\r\n"
        b"Final-Recipient: rfc822; gone@example.cn\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        b"--D\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <out-1@yunshan.example>\r\nSubject: Re: x\r\n"
        b"--D--\r\n"
    )
    parsed = parse(raw)
    assert parsed.is_dsn and parsed.dsn_status == "5.1.1" and parsed.dsn_recipient == "gone@example.cn"
