"""Raw RFC 5322 bytes → a `ParsedMail`, hardened for real (Chinese) mail. Never raises on bad input.

stdlib `email` with `policy.default` gives the structure; text and headers are decoded here, because
the stdlib decodes a GB2312 label holding GBK characters to U+FFFD without a word:
- GB2312 / GBK / CP936 → GB18030 (a strict superset), Big5 → Big5-HKSCS;
- unknown or missing charsets → charset-normalizer's guess (and a defect note);
- raw 8-bit header bytes → UTF-8 if valid, else GB18030, else a guess;
- RFC 2047 encoded words and RFC 2231 parameters are decoded with the same charset map.
HTML is sanitised with nh3; remote images are blocked (their `src` removed) unless asked for.
"""

from __future__ import annotations

import binascii
import hashlib
import html as html_lib
import importlib
import multiprocessing
import re
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.header import decode_header
from email.message import Message
from email.parser import BytesParser
from email.policy import EmailPolicy
from email.utils import getaddresses, parsedate_to_datetime

import nh3
from charset_normalizer import from_bytes

from kefu.core.filenames import clean_filename
from kefu.core.sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, html_from_text

MAX_PARTS = 500  # leaf parts read from one message; the rest is a defect, never a crash
MAX_DEPTH = 30  # multipart nesting read; deeper parts are noted and skipped
MAX_TEXT = 2_000_000  # characters of text kept from one part

CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "ms936": "gb18030",
    "windows-936": "gb18030",
    "gb_2312-80": "gb18030",
    "euc-cn": "gb18030",
    "x-euc-cn": "gb18030",
    "csgb2312": "gb18030",
    "chinese": "gb18030",
    "gb18030": "gb18030",
    "big5": "big5hkscs",
    "big-5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "big5-hkscs": "big5hkscs",
    "cp950": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "iso-8859-1": "latin-1",
    "us-ascii": "ascii",
    "ansi_x3.4-1968": "ascii",
    "utf8": "utf-8",
    "unicode": "utf-16",
    "unicodebig": "utf-16-be",
    "unicodebigunmarked": "utf-16-be",
    "unicodelittle": "utf-16-le",
    "unicodelittleunmarked": "utf-16-le",
}
LATIN_LABELS = {"latin-1", "ascii", "windows-1252", "cp1252", "iso-8859-15"}


@dataclass(frozen=True)
class ParsedAttachment:
    name: str
    content_type: str
    content: bytes
    content_id: str = ""
    inline: bool = False

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass
class ParsedMail:
    message_id: str = ""
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    from_email: str = ""  # the one From address (addr-spec), "" when there is not exactly one
    from_name: str = ""  # its display name, decoded: plain text, never read as an address
    from_addresses: tuple[str, ...] = ()  # every address the From header holds
    from_problem: str = ""  # "several" addresses or "ambiguous" structure: nobody is credited
    sender_email: str = ""  # the Sender header's one address
    reply_to: str = ""
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    delivered_to: tuple[str, ...] = ()
    subject: str = ""
    date: datetime | None = None
    text: str = ""  # the whole text (new text + quoted history + signature)
    new_text: str = ""  # what the sender wrote this time
    html: str = ""  # sanitised, remote images blocked
    html_clean: bool = False  # html holds only what a ticket message may hold (kefu.core.sanitize)
    text_html: str = ""  # a mail without HTML: what its ticket message shows (see `_text_html`)
    attachments: list[ParsedAttachment] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case name → decoded value (first)
    language: str = "zh-hans"
    is_dsn: bool = False
    dsn_status: str = ""
    dsn_recipient: str = ""
    dsn_original_id: str = ""
    defects: list[str] = field(default_factory=list)
    remote_images: int = 0
    # what the mail says (sender, subject, text, HTML, attachments): two deliveries of one mail
    # share it even when relays added headers; a different mail reusing the Message-ID does not
    content_sha256: str = ""


# --------------------------------------------------------------------------- decoding


def codec_for(label: str | None) -> str | None:
    label = (label or "").strip().strip('"').lower()
    if not label:
        return None
    label = CHARSET_ALIASES.get(label, label)
    try:
        import codecs

        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_bytes(data: bytes, label: str | None, defects: list[str] | None = None) -> str:
    """Bytes → text, never raising and never silently turning valid bytes into U+FFFD."""
    if not data:
        return ""
    codec = codec_for(label)
    # UTF-8 mislabelled as latin-1/ascii is common; valid UTF-8 with 8-bit bytes is not latin-1.
    if codec in (*LATIN_LABELS, "iso8859-1", "cp1252") and not data.isascii():
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    if codec:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass
    elif label and defects is not None:
        defects.append(f"unknown charset {label[:40]!r}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data[:200_000]).best()
    if defects is not None:
        defects.append(f"charset guessed: {best.encoding if best else 'utf-8 with replacement'}")
    if best is not None:
        try:
            return data.decode(best.encoding, errors="replace")
        except LookupError:
            pass
    return data.decode(codec or "utf-8", errors="replace")


SURROGATE_RE = re.compile("[\udc80-\udcff]")


def _raw_header_text(value: str) -> str:
    """A header as parsed from bytes: 8-bit bytes survive as surrogates; decode them properly."""
    if SURROGATE_RE.search(value):
        return decode_bytes(value.encode("ascii", "surrogateescape"), None)
    return value


def decode_header_value(value: str | None) -> str:
    """RFC 2047 words decoded with the charset map (GB2312 → GB18030 …); raw 8-bit text kept."""
    if value is None:
        return ""
    value = _raw_header_text(str(value))
    try:
        pieces = decode_header(value)
    except Exception:
        return " ".join(value.split())
    out = []
    for chunk, charset in pieces:
        if isinstance(chunk, bytes):
            out.append(decode_bytes(chunk, charset) if charset else decode_bytes(chunk, "utf-8"))
        else:
            out.append(chunk)
    text = "".join(out)
    return " ".join(text.replace("\x00", "").split())


def _raw(msg: Message, name: str) -> str | None:
    for key, value in msg.raw_items():
        if key.lower() == name:
            return value
    return None


def _raw_all(msg: Message, name: str) -> list[str]:
    return [value for key, value in msg.raw_items() if key.lower() == name]


MSGID_RE = re.compile(r"<([^<>\s]{1,250})>")


def message_ids(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    found = MSGID_RE.findall(value)
    if not found and value.strip():
        found = [value.strip().strip("<>")[:250]]
    return tuple(dict.fromkeys(found))


ADDR_RE = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")


def _addresses(values: list[str]) -> tuple[str, ...]:
    """The addresses of these header values, lower-cased, each once (remembered: long To/Cc
    lists repeat across the mails of a thread)."""
    key = tuple(values)
    if sum(map(len, key)) > ADDRESS_MEMO_CHARS:
        return _read_addresses(values)
    found = _address_memo.get(key)
    if found is None:
        found = _read_addresses(values)
        if len(_address_memo) >= ADDRESS_MEMO_SIZE:
            _address_memo.clear()
        _address_memo[key] = found
    return found


ADDRESS_MEMO_CHARS = 4000
ADDRESS_MEMO_SIZE = 1024
_address_memo: dict[tuple[str, ...], tuple[str, ...]] = {}


def _read_addresses(values: list[str]) -> tuple[str, ...]:
    # the structure is read before anything is decoded: an encoded display name
    # (=?utf-8?b?…?= holding "x <victim@example.cn>") stays a name and never becomes an address
    texts = [_raw_header_text(str(v)) for v in values]
    out = []
    try:
        pairs = getaddresses(texts)
    except RecursionError:  # a pathological header: take what looks like addresses
        pairs = [("", a) for a in ADDR_RE.findall(" ".join(texts))]
    for _name, addr in pairs:
        addr = addr.strip().lower()
        if valid_address(addr):
            out.append(addr)
    return tuple(dict.fromkeys(out))


ADDR_SPEC_RE = re.compile(r"[^\s@<>()\[\],;:\"\\]{1,64}@[^\s@<>()\[\],;:\"\\]{1,253}")


def valid_address(addr: str) -> bool:
    """A plain addr-spec (local@domain) as kefu keeps one: no spaces, brackets, quotes or second @."""
    return len(addr) <= 254 and ADDR_SPEC_RE.fullmatch(addr) is not None


@dataclass(frozen=True)
class HeaderAddresses:
    """The mailboxes of an address header (From, Sender, Reply-To), read from its structure."""

    pairs: tuple[tuple[str, str], ...] = ()  # (decoded display name, lower-cased addr-spec)
    ambiguous: bool = False  # the header's structure reads two ways (two parsers disagree)

    @property
    def addresses(self) -> tuple[str, ...]:
        """The valid addresses, each once (a word without '@' in the list is no mailbox)."""
        return tuple(dict.fromkeys(addr for _name, addr in self.pairs if valid_address(addr)))

    @property
    def single(self) -> tuple[str, str] | None:
        """(name, address) when the header names exactly one valid mailbox and reads one way."""
        addresses = self.addresses
        if self.ambiguous or len(addresses) != 1:
            return None
        return next(pair for pair in self.pairs if pair[1] == addresses[0])


def header_addresses(values: list[str]) -> HeaderAddresses:
    """`read_header_addresses`, remembered (the same senders write many mails of an archive)."""
    key = tuple(str(v) for v in values if v is not None)
    if sum(map(len, key)) > ADDRESS_MEMO_CHARS:
        return read_header_addresses(list(key))
    found = _header_address_memo.get(key)
    if found is None:
        found = read_header_addresses(list(key))
        if len(_header_address_memo) >= ADDRESS_MEMO_SIZE:
            _header_address_memo.clear()
        _header_address_memo[key] = found
    return found


_header_address_memo: dict[tuple[str, ...], HeaderAddresses] = {}
STRICT_CHARS = 4000  # longer address headers are not given to the strict parser


def read_header_addresses(values: list[str]) -> HeaderAddresses:
    """The mailboxes of these values of one address header (several values: the header repeats).

    The addr-spec comes from the header's structure, read before any encoded word is decoded; only
    the display name is decoded afterwards, as plain text (an '@' or '<…>' in it is a name). The
    structure is read by two parsers (email.utils and the stricter policy.default one): when they
    disagree, as for `张晓明 <a@example.cn> <b@evil.example>`, the header is `ambiguous`."""
    texts = [_raw_header_text(str(v)) for v in values if v is not None]
    if not texts:
        return HeaderAddresses()
    try:
        found = getaddresses(texts)
    except RecursionError:
        return HeaderAddresses(
            tuple(("", a.lower()) for a in dict.fromkeys(ADDR_RE.findall(" ".join(texts)))), ambiguous=True
        )
    pairs = []
    for name, addr in found:
        addr = " ".join(addr.split()).lower()[:254]
        if not (name or addr):
            continue  # an empty group ("undisclosed-recipients:;")
        pairs.append((decode_header_value(name)[:200], addr))
    ambiguous = False
    strict: list[str] = []
    if sum(map(len, texts)) > STRICT_CHARS:
        # the strict parser takes seconds over thousands of encoded words; a header this long is
        # trusted only when every piece of it reads as a mailbox
        return HeaderAddresses(tuple(pairs), ambiguous=any(not valid_address(a) for _n, a in pairs))
    try:
        for text in texts:
            header = policy.default.header_factory("from", text.replace("\r", " ").replace("\n", " "))
            strict.extend(a.addr_spec.lower() for a in header.addresses)
    except (RecursionError, IndexError, ValueError, TypeError, AttributeError):
        strict = []  # the strict parser gave up: the header cannot be read two ways, so trust neither
        ambiguous = True
    if not ambiguous and sorted(dict.fromkeys(strict)) != sorted(dict.fromkeys(a for _n, a in pairs)):
        ambiguous = True
        pairs.extend(("", a) for a in dict.fromkeys(strict) if a not in {p[1] for p in pairs})
    return HeaderAddresses(tuple(pairs), ambiguous)


def _param(part: Message, name: str, header: str = "content-disposition") -> str:
    """An RFC 2231 / RFC 2047 parameter (filename, name) decoded with the charset map."""
    try:
        value = part.get_param(name, header=header)
    except Exception:
        return ""
    if value is None:
        return ""
    if isinstance(value, tuple):  # RFC 2231: (charset, language, value)
        charset, _lang, text = value
        raw = text.encode("latin-1", "surrogateescape") if isinstance(text, str) else text
        try:
            from urllib.parse import unquote_to_bytes

            raw = unquote_to_bytes(raw)
        except Exception:
            pass
        return decode_bytes(raw, charset or "utf-8")
    return decode_header_value(str(value))


def _filename(part: Message) -> str:
    """The file name of a part: Content-Disposition's filename, else Content-Type's name ("" for none)."""
    return _param(part, "filename") or _param(part, "name", header="content-type")


def _is_body_text(ctype: str, disposition: str, filename: str) -> bool:
    """An unnamed text/plain or text/html part not marked "attachment": the mail's own text."""
    return ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename


def safe_filename(name: str, *, fallback: str = "attachment") -> str:
    """A display-safe file name (the one rule of every door: `kefu.core.filenames`)."""
    return clean_filename(name, fallback=fallback)


# --------------------------------------------------------------------------- HTML

HTML_TAGS = {
    "a", "b", "blockquote", "br", "code", "div", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "img", "li", "ol", "p", "pre", "s", "small", "span", "strong", "sub", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "caption", "center", "dd", "dl", "dt",
}  # fmt: skip
HTML_ATTRS = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height", "title"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align"},
}


def sanitise_html(html: str, *, allow_remote: bool = False, for_ticket: bool = False) -> tuple[str, int]:
    """nh3 allow-list; remote images dropped unless `allow_remote`. Returns (html, remote images).

    `for_ticket`: with the narrower allow-list of a ticket message (`kefu.core.sanitize`), so the
    result is stored as it is (one nh3 pass instead of this one and `clean_html` again)."""
    blocked = 0

    def attribute_filter(tag: str, attr: str, value: str) -> str | None:
        nonlocal blocked
        if tag == "img" and attr == "src":
            low = value.strip().lower()
            if low.startswith("cid:"):
                return value
            if low.startswith(("http:", "https:", "//")):
                if allow_remote:
                    return value
                blocked += 1
                return None
            return None  # data:, javascript:, file: …
        return value

    cleaned = nh3.clean(
        html or "",
        tags=ALLOWED_TAGS if for_ticket else HTML_TAGS,
        attributes=ALLOWED_ATTRIBUTES if for_ticket else HTML_ATTRS,
        url_schemes={"http", "https", "mailto", "cid"},
        link_rel="noopener noreferrer nofollow",
        attribute_filter=attribute_filter,
        strip_comments=True,
    )
    return cleaned, blocked


BLOCK_RE = re.compile(r"<\s*(br|/p|/div|/tr|/li|/h[1-6]|p|div|tr|li|blockquote|/blockquote)\b[^>]*>", re.I)
TAG_RE = re.compile(r"<[^>]+>")


def text_from_html(html: str) -> str:
    stripped = nh3.clean(html or "", tags={"p", "br", "div", "tr", "li", "blockquote", "h1", "h2", "h3"})
    stripped = BLOCK_RE.sub("\n", stripped)
    text = html_lib.unescape(TAG_RE.sub("", stripped))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --------------------------------------------------------------------------- quoted history

QUOTE_HEADS = [
    re.compile(r"^\s*On .{0,300}wrote:\s*$", re.I),
    re.compile(r"^\s*在\s*.{0,200}(写道|寫道)\s*[:：]\s*$"),
    re.compile(
        r"^\s*-{2,}\s*(Original Message|原始邮件|原始郵件|Forwarded message|转发的邮件)\s*-{2,}", re.I
    ),
    re.compile(r"^\s*_{20,}\s*$"),
    re.compile(r"^\s*(From|发件人|寄件者)\s*[:：].{0,300}$", re.I),
]
SIGNATURE_RE = re.compile(r"^(-- ?|——+|--)$")


def split_quoted(text: str) -> str:
    """The new text of a reply: what comes before the quoted history and the signature."""
    lines = text.splitlines()
    cut = len(lines)
    for i, line in enumerate(lines):
        if line.startswith(">") and i > 0:
            # a ">" block: the quote header may be the line(s) just above
            cut = i
            while cut > 0 and (
                not lines[cut - 1].strip() or any(h.match(lines[cut - 1]) for h in QUOTE_HEADS)
            ):
                cut -= 1
            break
        if any(h.match(line) for h in QUOTE_HEADS) and i > 0:
            cut = i
            break
        if SIGNATURE_RE.match(line.rstrip()) and i > 0:
            cut = i
            break
    new = "\n".join(lines[:cut]).strip()
    return new or text.strip()


# --------------------------------------------------------------------------- uuencode

UU_BEGIN = re.compile(r"^begin [0-7]{3,4} (.+)$", re.M)


def extract_uuencoded(text: str) -> tuple[str, list[ParsedAttachment]]:
    found: list[ParsedAttachment] = []
    while True:
        match = UU_BEGIN.search(text)
        if not match:
            return text, found
        end = text.find("\nend", match.end())
        if end < 0:
            return text, found
        data = bytearray()
        try:
            for line in text[match.end() : end].strip("\n").splitlines():
                if line.strip() and line.strip() != "`":
                    data += binascii.a2b_uu(line)
        except (binascii.Error, ValueError):
            return text, found
        name = safe_filename(match.group(1).strip())
        found.append(
            ParsedAttachment(name=name, content_type="application/octet-stream", content=bytes(data))
        )
        text = text[: match.start()] + f"[{name}]" + text[end + 4 :]


# --------------------------------------------------------------------------- the parser


def _part_bytes(part: Message, defects: list[str]) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception as err:  # truncated base64 and friends
        defects.append(f"undecodable part: {err.__class__.__name__}")
        data = None
    if data is None:
        payload = part.get_payload()
        if isinstance(payload, str):
            return payload.encode("utf-8", "surrogateescape")
        return b""
    return data


def _rfc822_bytes(part: Message) -> bytes:
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else payload
    if isinstance(inner, Message):
        try:
            return inner.as_bytes(policy=policy.default.clone(linesep="\r\n", max_line_length=0))
        except Exception:
            try:
                return inner.as_string().encode("utf-8", "surrogateescape")
            except Exception:
                return b""
    if isinstance(inner, str):
        return inner.encode("utf-8", "surrogateescape")
    return b""


def _leaves(msg: Message, defects: list[str]) -> list[Message]:
    """Leaf parts, depth-first; message/* parts are leaves (attached mails, not walked into)."""
    out: list[Message] = []
    stack: list[tuple[Message, int]] = [(msg, 0)]
    while stack:
        part, depth = stack.pop()
        if part.is_multipart() and not part.get_content_type().startswith("message/"):
            if depth >= MAX_DEPTH:
                defects.append(f"multipart nested deeper than {MAX_DEPTH}")
                continue
            children = part.get_payload()
            if isinstance(children, list):
                stack.extend((c, depth + 1) for c in reversed(children))
            continue
        out.append(part)
        if len(out) >= MAX_PARTS:
            defects.append(f"more than {MAX_PARTS} parts; the rest is in the raw message")
            break
    return out


def _parents(msg: Message) -> dict[int, Message]:
    parents: dict[int, Message] = {}
    stack = [msg]
    while stack:
        part = stack.pop()
        if part.is_multipart() and not part.get_content_type().startswith("message/"):
            children = part.get_payload()
            if isinstance(children, list):
                for child in children[:MAX_PARTS]:
                    parents[id(child)] = part
                    stack.append(child)
    return parents


CJK_RE = re.compile("[\u4e00-\u9fff]")
LATIN_RE = re.compile("[A-Za-z]")  # = ch.isascii() and ch.isalpha()


def language_of(text: str, headers: dict[str, str]) -> str:
    accept = (headers.get("accept-language") or headers.get("content-language") or "").lower()
    if accept.startswith("zh"):
        return "zh-hans"
    sample = text[:2000]
    if len(CJK_RE.findall(sample)) >= 2:
        return "zh-hans"
    if accept.startswith("en") or len(LATIN_RE.findall(sample)) > 20:
        return "en"
    return "zh-hans"


INTERESTING = (
    "auto-submitted",
    "precedence",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "list-id",
    "list-unsubscribe",
    "x-loop",
    "x-kefu-loop",
    "return-path",
    "accept-language",
    "content-language",
    "x-failed-recipients",
    "authentication-results",
)


class _RememberingPolicy(EmailPolicy):
    """`policy.default`, remembering the header objects it parses by (name, value).

    The stdlib parses a structured header again on every read (`get_content_type()` reads
    Content-Type each time, and a mail is read part by part several times), which was half of the
    parsing time. Parsing is a pure function of (name, value) and header objects are immutable, so
    the same value gives the same object; values repeat across the mails of an archive too. A
    header that fails to parse (RecursionError) is not remembered and fails again the same way.
    """

    def header_fetch_parse(self, name: str, value: str) -> object:
        if hasattr(value, "name"):
            return super().header_fetch_parse(name, value)
        if len(value) > PARAMS_CHARS and name.lower() in PARAM_HEADERS:
            value = _cut_params(value)  # (remembered: cut, it is short enough)
        elif len(value) > HEADER_MEMO_CHARS:
            return super().header_fetch_parse(name, value)
        key = (name, value)
        found = _header_memo.get(key)
        if found is None:
            found = super().header_fetch_parse(name, value)
            if len(_header_memo) >= HEADER_MEMO_SIZE:
                _header_memo.clear()
            _header_memo[key] = found
        return found


HEADER_MEMO_CHARS = 500  # longer values are parsed every time (and bound the memory)
# FAULTS E6: the stdlib reads a Content-Type of 5,000 parameters in ~0.4 s, and reads it again on
# every access (seconds per mail); parameters past this many characters are ignored (a defect)
PARAMS_CHARS = 4000
PARAM_HEADERS = ("content-type", "content-disposition")


def _cut_params(value: str) -> str:
    cut = value.rfind(";", 0, PARAMS_CHARS)
    return value[:cut] if cut > 0 else value[:PARAMS_CHARS]


HEADER_MEMO_SIZE = 2048
_header_memo: dict[tuple[str, str], object] = {}
PARSE_POLICY = _RememberingPolicy()


def parse(raw: bytes, *, allow_remote_images: bool = False, for_ticket: bool = False) -> ParsedMail:
    """Parse raw bytes. Bad input gives defects, never an exception (except MemoryError-class).

    `for_ticket`: the HTML is sanitised for a ticket message (`sanitise_html(for_ticket=True)`),
    not for showing the original mail."""
    parsed = ParsedMail()
    defects = parsed.defects
    if b"\x00" in raw:
        defects.append("NUL bytes removed")
        raw = raw.replace(b"\x00", b"")
    try:
        msg: Message = BytesParser(policy=PARSE_POLICY).parsebytes(raw)
        for part in msg.walk():  # structured headers are parsed lazily; force the risky ones now
            part.get_content_type()
            part.get_content_disposition()
            for name in PARAM_HEADERS:
                if len(_raw(part, name) or "") > PARAMS_CHARS:
                    defects.append(f"{name} parameters past {PARAMS_CHARS} characters ignored")
    except RecursionError:
        # pathological headers (thousands of encoded words) blow the modern header parser's stack
        defects.append("headers too complex for the structured parser; read as plain headers")
        msg = BytesParser(policy=policy.compat32).parsebytes(raw)
    for defect in getattr(msg, "defects", [])[:20]:
        defects.append(defect.__class__.__name__)

    for name in INTERESTING:
        value = _raw(msg, name)
        if value is not None:
            parsed.headers[name] = decode_header_value(value)[:1000]
    parsed.subject = decode_header_value(_raw(msg, "subject"))[:1000]
    parsed.message_id = (message_ids(_raw(msg, "message-id")) or ("",))[0]
    parsed.in_reply_to = message_ids(_raw(msg, "in-reply-to"))[:20]
    parsed.references = message_ids(" ".join(_raw_all(msg, "references")))[-50:]

    _read_sender(parsed, msg)
    parsed.to = _addresses(_raw_all(msg, "to"))[:1000]
    parsed.cc = _addresses(_raw_all(msg, "cc"))[:1000]
    parsed.delivered_to = _addresses(_raw_all(msg, "delivered-to") + _raw_all(msg, "x-original-to"))[:20]
    date_value = _raw(msg, "date")
    if date_value:
        try:
            parsed.date = parsedate_to_datetime(decode_header_value(date_value))
            if parsed.date is not None and parsed.date.tzinfo is None:
                parsed.date = None
                defects.append("Date without a time zone")
        except (TypeError, ValueError, IndexError, OverflowError):
            defects.append("invalid Date")
    else:
        defects.append("no Date")

    texts: list[str] = []
    htmls: list[str] = []
    named_texts: list[str] = []  # named text/plain parts not marked "attachment" (see below)
    parents = _parents(msg)
    used_names: set[str] = set()
    n = 0
    for part in _leaves(msg, defects):
        n += 1
        ctype = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        filename = _filename(part)
        parent = parents.get(id(part))
        parent_type = parent.get_content_type() if parent is not None else ""
        if ctype == "message/delivery-status" or (
            parent_type == "multipart/report" and ctype.startswith("message/delivery")
        ):
            parsed.is_dsn = True
            _read_dsn(parsed, part, defects)
        if ctype.startswith("multipart/"):
            # a multipart whose boundary is broken: its body is kept as text, never dropped
            data = _part_bytes(part, defects)
            texts.append(decode_bytes(data, part.get_content_charset(), defects)[:MAX_TEXT])
            defects.append(f"{ctype} without readable parts; body kept as text")
            continue
        # A part with a file name (Content-Disposition filename or Content-Type name; RFC 2231
        # continuations and encoded words are decoded by policy.default) is a file the sender
        # attached: it is always an attachment, whatever its type and disposition (issue 14).
        # A named text/plain part that is not "attachment" (inline, or no disposition) is also
        # text a mailer shows in the message, so when the mail has no other text (no unnamed
        # text/plain or text/html part) it is the body too: a ticket is never left empty. When
        # there is other text it stays a file only, as a customer's log or note attached inline
        # would otherwise be pasted into the ticket twice.
        if filename and ctype == "text/plain" and disposition != "attachment":
            data = _part_bytes(part, defects)
            named_texts.append(decode_bytes(data, part.get_content_charset(), defects)[:MAX_TEXT])
        elif _is_body_text(ctype, disposition, filename):
            data = _part_bytes(part, defects)
            text = decode_bytes(data, part.get_content_charset(), defects)[:MAX_TEXT]
            if ctype == "text/plain":
                texts.append(text)  # several plain parts (even alternatives) are all kept
            else:
                htmls.append(text)
                if parent_type == "multipart/alternative" and any(
                    s.get_content_type() == "text/plain"
                    and _is_body_text("text/plain", (s.get_content_disposition() or "").lower(), _filename(s))
                    for s in _children(parent)
                ):
                    continue  # the plain alternative carries the text
                texts.append(text_from_html(text))
            continue
        # anything else is an attachment (attached mails included, as .eml files)
        if ctype == "message/delivery-status":
            content = _dsn_bytes(part, defects)
        elif ctype.startswith("message/"):
            content = _rfc822_bytes(part) if ctype == "message/rfc822" else _dsn_bytes(part, defects)
            inner_subject = ""
            if ctype == "message/rfc822":
                payload = part.get_payload()
                inner = payload[0] if isinstance(payload, list) and payload else None
                if isinstance(inner, Message):
                    inner_subject = decode_header_value(_raw(inner, "subject"))
            default = (inner_subject or "message")[:80] + (".eml" if ctype == "message/rfc822" else ".txt")
            filename = filename or default
            if ctype == "message/rfc822" and not filename.lower().endswith(".eml"):
                filename += ".eml"
        else:
            content = _part_bytes(part, defects)
        if ctype == "message/delivery-status" and not filename:
            filename = "delivery-status.txt"
        ext = _guess_ext(ctype)
        name = safe_filename(filename, fallback=f"part-{n}{ext}")
        base, dot, extension = name.rpartition(".")
        counter = 1
        while name in used_names:
            counter += 1
            name = f"{base or extension}-{counter}{dot}{extension if base else ''}"
        used_names.add(name)
        cid = (_raw(part, "content-id") or "").strip().strip("<>")[:200]
        parsed.attachments.append(
            ParsedAttachment(
                name=name,
                content_type=ctype[:100],
                content=content,
                content_id=cid,
                inline=disposition == "inline" or bool(cid and ctype.startswith("image/")),
            )
        )

    if not any(t.strip() for t in texts) and not htmls:
        texts = named_texts  # the mail's only text is in named parts: the body too (see above)
    text = "\n\n".join(t.strip("\n") for t in texts if t.strip())
    text, uu = extract_uuencoded(text)
    parsed.attachments.extend(uu)
    parsed.text = text.replace("\x00", "").replace("\r\n", "\n")
    parsed.new_text = split_quoted(parsed.text) if parsed.text else ""
    if htmls:
        parsed.html, parsed.remote_images = sanitise_html(
            "\n".join(htmls), allow_remote=allow_remote_images, for_ticket=for_ticket
        )
        parsed.html_clean = for_ticket
    elif for_ticket:
        parsed.text_html = _text_html(parsed)
    parsed.language = language_of(parsed.subject + "\n" + parsed.text, parsed.headers)
    parsed.content_sha256 = content_digest(parsed)
    return parsed


def _read_sender(parsed: ParsedMail, msg: Message) -> None:
    """From, Sender and Reply-To, each from its header's structure (`header_addresses`).

    A From naming several mailboxes (RFC 5322 then requires a Sender, the one who sent it) or
    whose structure reads two ways credits nobody: `from_problem` says why, and the pipeline
    quarantines the mail instead of crediting the first address. Sender and Reply-To keep an
    address only when they name exactly one."""
    found = header_addresses(_raw_all(msg, "from"))
    parsed.from_addresses = found.addresses[:20]
    single = found.single
    if single is not None:
        parsed.from_name, parsed.from_email = " ".join(single[0].split()), single[1]
    elif len(found.addresses) > 1 or (found.ambiguous and found.addresses):
        parsed.from_problem = "ambiguous" if found.ambiguous else "several"
        parsed.defects.append(
            f"{parsed.from_problem} From ({', '.join(found.addresses[:5])}): no sender credited"
        )
    else:
        parsed.defects.append("no valid From address")
    sender = header_addresses(_raw_all(msg, "sender")).single
    parsed.sender_email = sender[1] if sender else ""
    reply_to = header_addresses(_raw_all(msg, "reply-to"))
    if reply_to.ambiguous:
        parsed.defects.append("ambiguous Reply-To header ignored")
    else:
        parsed.reply_to = next((a for a in reply_to.addresses if valid_address(a)), "")


def content_digest(parsed: ParsedMail) -> str:
    """sha256 of what the mail says: sender, subject, text, HTML and attachments (not the headers a
    relay adds, nor the transfer encoding)."""
    digest = hashlib.sha256()
    for piece in (parsed.from_email, parsed.subject, parsed.text, parsed.html):
        digest.update(piece.encode("utf-8", "surrogatepass"))
        digest.update(b"\x1f")
    for attachment in parsed.attachments:
        digest.update(attachment.name.encode("utf-8", "surrogatepass") + b"\x1e" + attachment.sha256.encode())
        digest.update(b"\x1f")
    return digest.hexdigest()


def sender_of_head(head: bytes) -> str:
    """The one From address of a mail's raw header block, read as `parse` reads it ("" when the
    From does not name exactly one mailbox). For the row stored before parsing."""
    end = min((i for i in (head.find(b"\r\n\r\n"), head.find(b"\n\n")) if i >= 0), default=len(head))
    values = [
        " ".join(value.decode("ascii", "surrogateescape").split())
        for value in FROM_LINES_RE.findall(b"\n" + head[:end])
    ]
    try:
        found = header_addresses(values).single
    except Exception:  # the pipeline parses the mail properly later; this is a first guess
        return ""
    return found[1] if found else ""


FROM_LINES_RE = re.compile(rb"\nFrom:[ \t]*([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)", re.I)


TICKET_BODY_CHARS = 64_000  # tickets.services.BODY_MAX (the pipeline checks that they agree)


def _text_html(parsed: ParsedMail) -> str:
    """The HTML a ticket message gets from a mail without HTML, made here, in the parsing process,
    rather than by the writing one (`html_from_text` runs nh3 over the whole text): the whole
    text when the mail quotes its history (the message keeps it), else the new text as the ticket
    body is cut (`mail.inbound.inbound_message`, `tickets.services.open_ticket`). "" for no text."""
    if parsed.new_text and parsed.new_text != parsed.text:
        return html_from_text(parsed.text[: TICKET_BODY_CHARS * 4])
    body = (parsed.new_text or parsed.text).strip()[:TICKET_BODY_CHARS].strip()
    return html_from_text(body) if body else ""


@dataclass(frozen=True)
class ParseFailure:
    """parse() raised (it should not: the parser is hardened); the mail is quarantined with `reason`."""

    reason: str
    trace: str = ""


class ParseTimeout(BaseException):
    """Parsing one mail took longer than its time limit.

    A BaseException, like a cancellation: the parser's own `except Exception` fallbacks must not
    swallow it and go on parsing."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"parse timeout: more than {seconds:g} s")
        self.reason = str(self)


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise `ParseTimeout` inside the block once `seconds` have passed (0: no limit).

    A timer signal (SIGALRM) interrupts the Python code of the parser, so it works only in the
    main thread of a process (the import and its parsing process, a Celery worker); elsewhere the
    block runs without a limit. A timer already set by the caller is restored afterwards."""
    if (
        seconds <= 0
        or not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return

    def expire(_signum: int, _frame: object) -> None:
        raise ParseTimeout(seconds)

    previous = signal.signal(signal.SIGALRM, expire)
    outer = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer[0] > 0:
            signal.setitimer(signal.ITIMER_REAL, *outer)


def parse_stored(raw: bytes, *, seconds: float = 0) -> ParsedMail:
    """parse(), and for a delivery report the Message-ID of the mail it reports on: what the
    pipeline needs from a stored mail's bytes. `seconds`: the time limit (`ParseTimeout`).

    Outside a main thread (the SMTP receiver's workers) a timer signal cannot interrupt the
    parser, so with a limit the mail is parsed in a parsing process (`_elsewhere`) instead."""
    if seconds > 0 and threading.current_thread() is not threading.main_thread():
        return _elsewhere(raw, seconds)
    with time_limit(seconds):
        parsed = parse(raw, for_ticket=True)
        if parsed.is_dsn:
            parsed.dsn_original_id = original_of_dsn(raw)
    return parsed


# The parsing process of the threads that parse with a time limit (see parse_stored), started on
# first use and shared by them. `_REMOTE` is what it runs (tests swap in a slow parser).
_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()
_REMOTE = "kefu.mail.parsing:parse_many"
# Past the limit by this much (a first start-up included), the process is stuck where no signal
# reaches (C code): it is killed.
BACKSTOP_SECONDS = 30.0


def _remote_parse(target: str, raws: list[bytes], seconds: float) -> list[ParsedMail | ParseFailure]:
    module, _colon, name = target.partition(":")
    return getattr(importlib.import_module(module), name)(raws, seconds)


def _elsewhere(raw: bytes, seconds: float) -> ParsedMail:
    """parse_stored() in the parsing process, whose main thread keeps the limit with its timer
    signal; if it does not answer in time (stuck in C code), it is killed and replaced, and the
    mail is a "parse timeout" all the same. Raises as parse_stored() would."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        pool = _pool
    future = pool.submit(_remote_parse, _REMOTE, [raw], seconds)
    try:
        (result,) = future.result(timeout=seconds + BACKSTOP_SECONDS)
    except FuturesTimeout:
        with _pool_lock:
            if _pool is pool:
                _pool = None
        for process in list(getattr(pool, "_processes", {}).values()):  # no public way to kill a worker
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        raise ParseTimeout(seconds) from None
    except BrokenProcessPool:
        with _pool_lock:
            if _pool is pool:
                _pool = None
        raise
    if isinstance(result, ParseFailure):
        if result.reason.startswith("parse timeout"):
            raise ParseTimeout(seconds)
        raise RemoteParseError(result.reason, result.trace)
    return result


class RemoteParseError(Exception):
    """parse() raised in the parsing process; `str()` is the reason the mail is quarantined with."""

    def __init__(self, reason: str, trace: str = "") -> None:
        super().__init__(reason.removeprefix("cannot be parsed: "))
        self.trace = trace


def parse_many(raws: list[bytes], seconds: float = 0) -> list[ParsedMail | ParseFailure]:
    """parse_stored() for each mail, a failure returned instead of raised (run in a worker process
    by `kefu mail import`, so the import's own process only writes). `seconds`: the time limit
    of each mail; one that takes longer comes back as a "parse timeout" failure."""
    import traceback

    out: list[ParsedMail | ParseFailure] = []
    for raw in raws:
        try:
            out.append(parse_stored(raw, seconds=seconds))
        except ParseTimeout as timeout:
            out.append(ParseFailure(timeout.reason))
        except Exception as err:
            out.append(
                ParseFailure(
                    f"cannot be parsed: {err.__class__.__name__}: {err}"[:500], traceback.format_exc()
                )
            )
    return out


def _children(parent: Message) -> list[Message]:
    payload = parent.get_payload()
    return payload if isinstance(payload, list) else []


def _guess_ext(ctype: str) -> str:
    import mimetypes

    return mimetypes.guess_extension(ctype) or ".bin"


def _dsn_bytes(part: Message, defects: list[str]) -> bytes:
    payload = part.get_payload()
    if isinstance(payload, list):
        blocks = []
        for block in payload:
            if isinstance(block, Message):
                try:
                    blocks.append(block.as_bytes())
                except Exception:
                    blocks.append(str(block).encode("utf-8", "replace"))
        return b"\n".join(blocks)
    data = _part_bytes(part, defects)
    if not data:
        try:
            data = part.as_bytes()
        except Exception:
            data = b""
    return data


def _read_dsn(parsed: ParsedMail, part: Message, defects: list[str]) -> None:
    data = _dsn_bytes(part, defects)
    text = decode_bytes(data, "utf-8")
    status = re.search(r"^Status:\s*([245]\.\d{1,3}\.\d{1,3})", text, re.M | re.I)
    recipient = re.search(r"^Final-Recipient:\s*[^;]*;\s*(\S+)", text, re.M | re.I)
    parsed.dsn_status = status.group(1) if status else ""
    parsed.dsn_recipient = recipient.group(1).strip("<>").lower() if recipient else ""


def original_of_dsn(raw: bytes) -> str:
    """The Message-ID of the mail a DSN reports on (its message/rfc822 or text/rfc822-headers part)."""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            if ctype == "message/rfc822":
                payload = part.get_payload()
                inner = payload[0] if isinstance(payload, list) and payload else None
                if isinstance(inner, Message):
                    found = message_ids(_raw(inner, "message-id"))
                    if found:
                        return found[0]
            else:
                data = part.get_payload(decode=True) or b""
                match = re.search(rb"^Message-ID:\s*(<[^>]+>)", data, re.M | re.I)
                if match:
                    return match.group(1).decode("ascii", "replace").strip("<>")
    return ""
