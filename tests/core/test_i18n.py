"""zh-Hans is the default language, English is complete, and the compiled catalogue ships.

The catalogue guards read the shipped django.mo with the stdlib (gettext.GNUTranslations):
msgfmt leaves untranslated and fuzzy entries out of a .mo, so "present in the .mo" means
"translated". They check both the .po (the .mo is not stale) and the source itself (every
string marked for translation in code and templates has a Chinese translation), so a string
added later without a translation fails here instead of showing up in English to a Chinese user.
"""

from __future__ import annotations

import ast
import gettext
import re
import tomllib
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils.translation.template import templatize

import kefu
from kefu import settings as kefu_settings
from kefu.tickets.services import change_status

KEFU_DIR = Path(kefu.__file__).resolve().parent
CATALOG_DIR = KEFU_DIR / "locale" / "zh_Hans" / "LC_MESSAGES"
# The project catalogue plus one per app (src/kefu/<app>/locale/…): Django merges them all.
POS = sorted(KEFU_DIR.glob("**/locale/zh_Hans/LC_MESSAGES/django.po"))


def _catalog() -> gettext.NullTranslations:
    """Every shipped .mo chained together, the way Django's translation merges them."""
    catalog: gettext.NullTranslations | None = None
    for po in POS:
        with po.with_suffix(".mo").open("rb") as fp:
            part = gettext.GNUTranslations(fp)
        if catalog is None:
            catalog = part
        else:
            catalog.add_fallback(part)
    assert catalog is not None
    return catalog


# --------------------------------------------------------------------------- pages


@pytest.fixture(autouse=True)
def _project_default_language(settings):
    """tests/conftest.py reads English; here the project's own default applies."""
    settings.LANGUAGE_CODE = kefu_settings.LANGUAGE_CODE


def test_the_default_language_is_simplified_chinese():
    assert kefu_settings.LANGUAGE_CODE == "zh-hans"
    assert kefu_settings.TIME_ZONE == "Asia/Shanghai"


def _queue_rows(html: str) -> str:
    """The ticket rows only: the sidebar and the filters list every status anyway."""
    return html.split('id="queue-body"', 1)[1].split("</tbody>", 1)[0]


@pytest.fixture
def pending_ticket(customer_x, lead_zhao, make_ticket):
    ticket = make_ticket(customer_x, subject="发票抬头写错了")
    return change_status(ticket, to="pending", by=lead_zhao)


def test_login_page_is_chinese_by_default(client):
    page = client.get(reverse("accounts:login")).content.decode()
    assert '<html lang="zh-hans">' in page
    assert "登录" in page and "密码" in page
    assert "Log in" not in page


def test_login_page_follows_the_browser_language(client):
    page = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="en">' in page
    assert "Log in" in page and "Password" in page
    assert "登录" not in page


def test_agent_queue_is_chinese_by_default(client, lead_zhao, pending_ticket):
    client.force_login(lead_zhao)
    rows = _queue_rows(client.get(reverse("agent:queue"), {"view": "all"}).content.decode())
    assert pending_ticket.number in rows
    assert "待客户回复" in rows  # status badge
    assert "普通" in rows  # priority
    assert "Pending" not in rows


def test_agent_queue_in_english_with_the_language_cookie(client, settings, lead_zhao, pending_ticket):
    client.force_login(lead_zhao)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    rows = _queue_rows(client.get(reverse("agent:queue"), {"view": "all"}).content.decode())
    assert pending_ticket.number in rows
    assert "Pending" in rows and "Normal" in rows
    assert "待客户回复" not in rows


def test_language_switch_sticks_for_the_next_pages(client, lead_zhao, pending_ticket):
    client.force_login(lead_zhao)
    queue = reverse("agent:queue")
    client.post(reverse("set_language"), {"language": "en", "next": queue})
    assert "Pending" in _queue_rows(client.get(queue, {"view": "all"}).content.decode())
    client.post(reverse("set_language"), {"language": "zh-hans", "next": queue})
    assert "待客户回复" in _queue_rows(client.get(queue, {"view": "all"}).content.decode())


# --------------------------------------------------------------------------- catalogue guards

Key = tuple[str | None, str]  # (msgctxt, msgid)


class _Misses(gettext.NullTranslations):
    """Fallback of the real catalogue: records what the .mo does not translate."""

    def __init__(self) -> None:
        super().__init__()
        self.missing: list[Key] = []

    def gettext(self, message):
        self.missing.append((None, message))
        return message

    def ngettext(self, msgid1, msgid2, n):
        self.missing.append((None, msgid1))
        return msgid1

    def pgettext(self, context, message):
        self.missing.append((context, message))
        return message

    def npgettext(self, context, msgid1, msgid2, n):
        self.missing.append((context, msgid1))
        return msgid1


def _untranslated(keys: set[tuple[str | None, str, str | None]]) -> list[Key]:
    """Which (context, msgid, plural) the shipped .mo lacks, or translates to an empty string."""
    catalog = _catalog()
    misses = _Misses()
    catalog.add_fallback(misses)
    empty = []
    for ctx, msgid, plural in sorted(keys, key=str):
        if plural is None:
            text = catalog.pgettext(ctx, msgid) if ctx else catalog.gettext(msgid)
        else:
            text = catalog.npgettext(ctx, msgid, plural, 2) if ctx else catalog.ngettext(msgid, plural, 2)
        if not text.strip():
            empty.append((ctx, msgid))
    return sorted(set(misses.missing + empty), key=str)


def _po_entries() -> set[tuple[str | None, str, str | None]]:
    """A small PO reader: entries are blank-line separated blocks of keyword "string" lines."""
    entries, fuzzy = set(), []
    blocks = [block for po in POS for block in po.read_text(encoding="utf-8").split("\n\n")]
    for block in blocks:
        fields: dict[str, str] = {}
        field = None
        for line in block.splitlines():
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy.append(block)
            if line.startswith("#"):  # comments, references, flags, obsolete entries (#~)
                continue
            if line.startswith('"'):
                fields[field] += ast.literal_eval(line)
            else:
                field, _, literal = line.partition(" ")
                fields[field] = ast.literal_eval(literal)
        if fields.get("msgid"):  # the header has an empty msgid
            entries.add((fields.get("msgctxt"), fields["msgid"], fields.get("msgid_plural")))
    assert not fuzzy, f"fuzzy entries are left out of the .mo; check them and drop the flag: {fuzzy}"
    return entries


_CALL = re.compile(r"\b(npgettext|pgettext|ngettext|gettext|_)\(")
_LITERAL = re.compile(r"""\s*(u?'(?:[^'\\]|\\.)*'|u?"(?:[^"\\]|\\.)*")\s*,?""")
_PY_FUNCS = {
    "_": (False, False),
    "gettext": (False, False),
    "gettext_lazy": (False, False),
    "gettext_noop": (False, False),
    "ngettext": (False, True),
    "ngettext_lazy": (False, True),
    "pgettext": (True, False),
    "pgettext_lazy": (True, False),
    "npgettext": (True, True),
    "npgettext_lazy": (True, True),
}


def _key(func: str, args: list[str]) -> tuple[str | None, str, str | None]:
    has_ctx, has_plural = _PY_FUNCS.get(func, (False, False))
    ctx = args.pop(0) if has_ctx else None
    return ctx, args[0], (args[1] if has_plural else None)


def _template_strings() -> set[tuple[str | None, str, str | None]]:
    """What makemessages would extract from templates, read through Django's own templatize()."""
    found = set()
    for path in [*KEFU_DIR.rglob("*.html"), *KEFU_DIR.rglob("*.txt")]:
        if "static" in path.relative_to(KEFU_DIR).parts:
            continue
        text = templatize(path.read_text(encoding="utf-8"), origin=str(path))
        for call in _CALL.finditer(text):
            args, pos = [], call.end()
            while literal := _LITERAL.match(text, pos):
                args.append(ast.literal_eval(literal[1]))
                pos = literal.end()
            if args:
                found.add(_key(call[1], args))
    return found


def _python_strings() -> set[tuple[str | None, str, str | None]]:
    """Literal arguments of gettext calls in kefu's Python code (migrations excluded)."""
    found = set()
    for path in KEFU_DIR.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in _PY_FUNCS:
                continue
            args = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            has_ctx, has_plural = _PY_FUNCS[name]
            if len(args) >= 1 + has_ctx + has_plural:
                found.add(_key(name, args))
    return found


def test_every_catalogue_entry_is_translated_and_compiled():
    entries = _po_entries()
    assert len(entries) > 300  # the reader really read the catalogue
    assert _untranslated(entries) == []


def test_every_marked_string_in_code_and_templates_has_a_chinese_translation():
    strings = _template_strings() | _python_strings()
    assert (None, "Log in", None) in strings  # the extractors really found the marked strings
    assert ("channel", "Email", None) in strings
    missing = _untranslated(strings)
    assert missing == [], (
        "strings without a zh-Hans translation: run `django-admin makemessages -l zh_Hans`, "
        f"translate, then `django-admin compilemessages` in src/kefu: {missing}"
    )


def test_chinese_translations_keep_their_placeholders():
    catalog = _catalog()
    # Names and conversion must match; a width such as %(month)02d may differ ("10月", not "010月").
    placeholder = re.compile(r"%\((\w+)\)[-+ #0-9.]*([sdif])|\{(\w+)\}")
    for ctx, msgid, plural in _po_entries():
        if plural is None:
            text = catalog.pgettext(ctx, msgid) if ctx else catalog.gettext(msgid)
        else:  # zh has one plural form: it must carry the plural's placeholders
            text = catalog.npgettext(ctx, msgid, plural, 2) if ctx else catalog.ngettext(msgid, plural, 2)
        assert sorted(placeholder.findall(text)) == sorted(placeholder.findall(msgid)), msgid


def test_the_package_data_ships_the_compiled_catalogue():
    repo = Path(__file__).resolve().parents[2]
    pyproject = tomllib.loads((repo / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["kefu"]
    package = repo / "src" / "kefu"
    shipped = {p.relative_to(package).as_posix() for pattern in patterns for p in package.glob(pattern)}
    assert "locale/zh_Hans/LC_MESSAGES/django.mo" in shipped
    for po in POS:
        assert po.with_suffix(".mo").relative_to(package).as_posix() in shipped


@pytest.mark.django_db
def test_categories_show_their_english_name_in_english(client, settings, lead_zhao, customer_x, make_ticket):
    from kefu.tickets.models import Category, Ticket

    parent = Category.objects.create(name="售后", name_en="After-sales")
    child = Category.objects.create(name="退货", name_en="Returns", parent=parent)
    ticket = make_ticket(customer_x, subject="退货地址")
    Ticket.objects.filter(pk=ticket.pk).update(category=child)
    client.force_login(lead_zhao)
    url = reverse("agent:ticket", args=[ticket.pk])
    assert "售后 / 退货" in client.get(url).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(url).content.decode()
    assert "After-sales / Returns" in page and "售后 / 退货" not in page
