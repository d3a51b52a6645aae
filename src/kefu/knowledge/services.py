"""Use cases that change the knowledge base. Each is one transaction; the index follows the DB.

The FAQ bot (`answer`, `converse`, `record_bot_feedback`) lives in `bot.py` and is re-exported here.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, IntegrityError, models, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from kefu.core.clock import now

from .errors import ArticleNotFound, BadTransition, InvalidArticle, StaleArticle
from .models import (
    Article,
    ArticleFeedback,
    ArticleFile,
    ArticleVersion,
    Audience,
    KbCategory,
    Kind,
    Language,
    Synonym,
)
from .search import store, text
from .states import Status, can_move

TITLE_MAX = 300
BODY_MAX = 200_000
CONTENT_FIELDS = ("title", "short_answer", "body", "questions")
EDITABLE = (*CONTENT_FIELDS, "tags", "category", "audience", "language", "kind", "external_id")
LANGUAGE_ALIASES = {
    "zh": Language.ZH_HANS,
    "zh-cn": Language.ZH_HANS,
    "zh-hans": Language.ZH_HANS,
    "zh_hans": Language.ZH_HANS,
    "zh-tw": Language.ZH_HANT,
    "zh-hk": Language.ZH_HANT,
    "zh-hant": Language.ZH_HANT,
    "zh_hant": Language.ZH_HANT,
    "en": Language.EN,
    "en-us": Language.EN,
    "en-gb": Language.EN,
}


def normalise_language(value: str | None) -> str:
    key = (value or "").strip().lower()
    if not key:
        return Language.ZH_HANS
    try:
        return LANGUAGE_ALIASES[key]
    except KeyError:
        raise InvalidArticle(_("Unknown language: %(value)s") % {"value": value}, field="language") from None


def _clean_list(values: Any, *, field: str, max_items: int = 50) -> list[str]:
    if values is None or values == "":
        return []
    if isinstance(values, str):
        values = [v for v in values.replace("；", ";").replace("\n", ";").split(";")]
    if not isinstance(values, list | tuple):
        raise InvalidArticle(_("Expected a list."), field=field)
    out = []
    for v in values:
        if not isinstance(v, str | int | float):
            raise InvalidArticle(_("Expected a list of texts."), field=field)
        v = str(v).replace("\x00", "").strip()
        if v and v not in out:
            out.append(v[:300])
    return out[:max_items]


def _validate(values: dict[str, Any]) -> dict[str, Any]:
    out = {k: v.replace("\x00", "") if isinstance(v, str) else v for k, v in values.items()}
    if "title" in out:
        title = str(out["title"] or "").strip()
        if not title:
            raise InvalidArticle(_("A title is required."), field="title")
        if len(title) > TITLE_MAX:
            raise InvalidArticle(_("The title is too long."), field="title")
        out["title"] = title
    for key in ("body", "short_answer"):
        if key in out:
            out[key] = str(out[key] or "").strip()
            if len(out[key]) > BODY_MAX:
                raise InvalidArticle(_("The text is too long."), field=key)
    if "questions" in out:
        out["questions"] = _clean_list(out["questions"], field="questions")
    if "tags" in out:
        out["tags"] = _clean_list(out["tags"], field="tags", max_items=20)
    if "language" in out:
        out["language"] = normalise_language(out["language"])
    if "audience" in out and out["audience"] not in Audience.values:
        raise InvalidArticle(_("Unknown audience."), field="audience")
    if "kind" in out and out["kind"] not in Kind.values:
        raise InvalidArticle(_("Unknown kind."), field="kind")
    if "external_id" in out:
        out["external_id"] = (
            (str(out["external_id"]).strip() or None) if out["external_id"] is not None else None
        )
    return out


def _snapshot(article: Article, *, by: Any, note: str = "") -> ArticleVersion:
    return ArticleVersion.objects.create(
        article=article,
        number=article.version,
        title=article.title,
        short_answer=article.short_answer,
        body=article.body,
        questions=list(article.questions or []),
        note=note[:200],
        created_by=by if getattr(by, "pk", None) else None,
    )


def _learn_terms(article: Article) -> None:
    text.add_words([*article.tags, *text.kb_terms(article.title), *text.kb_terms(article.body)])


@transaction.atomic
def create_article(
    *, by: Any, title: str, status: str = Status.DRAFT, note: str = "", **fields: Any
) -> Article:
    source_ticket = fields.pop("source_ticket", None)
    values = _validate({"title": title, **fields})
    if status not in Status.values:
        raise InvalidArticle(_("Unknown status."), field="status")
    if values.get("kind") == Kind.CASE:
        values["audience"] = Audience.INTERNAL  # cases hold (anonymised) conversations: staff only
    article = Article(
        author=by if getattr(by, "pk", None) else None, status=status, source_ticket=source_ticket, **values
    )
    if status == Status.PUBLISHED:
        article.published_at = article.last_reviewed_at = now()
    try:
        with transaction.atomic():
            article.save()
    except IntegrityError:
        raise InvalidArticle(_("An article with this external id exists."), field="external_id") from None
    _snapshot(article, by=by, note=note or _("Created"))
    _learn_terms(article)
    store.mark_dirty()
    return article


@transaction.atomic
def update_article(
    article: Article, *, by: Any, version: int | None = None, note: str = "", **fields: Any
) -> Article:
    """Change an article; a content change becomes a new version (history + diff + restore)."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise InvalidArticle(_("Unknown field: %(name)s") % {"name": sorted(unknown)[0]})
    values = _validate(fields)
    locked = Article.objects.get(pk=article.pk)
    if version is not None and locked.version != version:
        raise StaleArticle(_("Someone else changed this article; reload it."))
    content_changed = any(k in values and getattr(locked, k) != values[k] for k in CONTENT_FIELDS)
    changed = [k for k, v in values.items() if getattr(locked, k if k != "category" else "category") != v]
    for key, value in values.items():
        setattr(locked, key, value)
    if locked.kind == Kind.CASE:
        locked.audience = Audience.INTERNAL
    if not changed:
        return locked
    if content_changed:
        locked.version += 1
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError:
        raise InvalidArticle(_("An article with this external id exists."), field="external_id") from None
    if content_changed:
        _snapshot(locked, by=by, note=note or _("Edited"))
    _learn_terms(locked)
    store.mark_dirty()
    return locked


@transaction.atomic
def transition(article: Article, *, to: str, by: Any) -> Article:
    """draft → in review → published → archived (states.py)."""
    if not can_move(article.status, to):
        raise BadTransition(
            _("An article cannot go from %(a)s to %(b)s.") % {"a": article.get_status_display(), "b": to}
        )
    article.status = to
    fields = ["status", "updated_at"]
    if to == Status.PUBLISHED:
        article.published_at = article.last_reviewed_at = now()
        if getattr(by, "pk", None):
            article.reviewer = by
        fields += ["published_at", "last_reviewed_at", "reviewer"]
    article.save(update_fields=fields)
    store.mark_dirty()
    return article


@transaction.atomic
def mark_reviewed(article: Article, *, by: Any) -> Article:
    article.last_reviewed_at = now()
    article.reviewer = by
    article.save(update_fields=["last_reviewed_at", "reviewer", "updated_at"])
    return article


def restore_version(article: Article, *, number: int, by: Any) -> Article:
    try:
        old = article.versions.get(number=number)
    except ArticleVersion.DoesNotExist:
        raise ArticleNotFound(_("No such version.")) from None
    return update_article(
        article,
        by=by,
        title=old.title,
        short_answer=old.short_answer,
        body=old.body,
        questions=old.questions,
        note=_("Restored version %(n)s") % {"n": number},
    )


def diff_versions(old: ArticleVersion, new: ArticleVersion) -> list[tuple[str, str]]:
    """Lines of a unified diff, each with its kind: add / del / hunk / same."""

    def lines(v: ArticleVersion) -> list[str]:
        return [
            f"# {v.title}",
            "",
            *(f"? {q}" for q in v.questions),
            "",
            *v.short_answer.splitlines(),
            "",
            *v.body.splitlines(),
        ]

    out = []
    for line in difflib.unified_diff(
        lines(old), lines(new), f"v{old.number}", f"v{new.number}", lineterm="", n=2
    ):
        if line.startswith(("+++", "---")):
            continue
        kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "same")
        out.append((kind, line))
    return out


def record_feedback(
    article: Article, *, helpful: bool, source: str, by: Any = None, ticket: Any = None
) -> None:
    with transaction.atomic():
        ArticleFeedback.objects.create(
            article=article,
            helpful=helpful,
            source=source[:10],
            user=by if getattr(by, "pk", None) else None,
            ticket=ticket,
        )
        counter = "helpful_count" if helpful else "unhelpful_count"
        Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})


REVIEW_MONTHS = 6


def remind_stale_articles(*, months: int | None = None) -> int:
    """Notify about published articles whose last review is older than `months` (default 6)."""
    from datetime import timedelta

    from django.conf import settings
    from django.urls import reverse

    from kefu.accounts.models import SEES_ALL_ROLES, User
    from kefu.accounts.services import notify

    months = months or int(getattr(settings, "KEFU_KB_REVIEW_MONTHS", REVIEW_MONTHS))
    cutoff = now() - timedelta(days=30 * months)
    stale = (
        Article.objects.filter(status=Status.PUBLISHED)
        .filter(
            models.Q(last_reviewed_at__lt=cutoff)
            | models.Q(last_reviewed_at__isnull=True, updated_at__lt=cutoff)
        )
        .select_related("author")[:500]
    )
    leads = list(User.objects.filter(is_active=True, role__in=SEES_ALL_ROLES).exclude(role="admin"))
    month = now().strftime("%Y-%m")
    sent = 0
    for article in stale:
        people = [article.author] if article.author and article.author.is_active else leads
        sent += notify(
            people,
            kind="kb.review",
            text=_("Article needs a review: %(title)s") % {"title": article.title[:200]},
            url=reverse("kb:article", args=[article.pk]),
            dedupe_key=f"kb-review:{article.pk}:{month}",
        )
    return sent


# ----- categories and synonyms -----
def category_from_path(path: str) -> KbCategory | None:
    """ "退换货/退款" → the nested categories, created when missing."""
    parent = None
    for name in [p.strip() for p in (path or "").replace(">", "/").split("/") if p.strip()]:
        parent, _created = KbCategory.objects.get_or_create(parent=parent, name=name[:100])
    return parent


@transaction.atomic
def set_synonym_group(terms: Iterable[str] | str, *, by: Any = None) -> Synonym:
    items = terms.replace("＝", "=").split("=") if isinstance(terms, str) else list(terms)
    items = [t.strip() for t in items if t and t.strip()]
    if len(items) < 2:
        raise InvalidArticle(_("A synonym group needs at least two words."), field="terms")
    joined = "=".join(items)[:300]
    existing = Synonym.objects.filter(terms__startswith=items[0] + "=").first()
    if existing:
        existing.terms = joined
        existing.save()
        store.mark_dirty()
        return existing
    syn = Synonym.objects.create(terms=joined)
    store.mark_dirty()
    return syn


# ----- import / export -----
@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> int:
        return self.created + self.updated + self.unchanged


ROW_FIELDS = {
    "external_id",
    "title",
    "answer",
    "short_answer",
    "body",
    "questions",
    "category",
    "language",
    "tags",
    "audience",
    "status",
    "kind",
}


def import_row(row: Any, *, by: Any, default_status: str = Status.PUBLISHED) -> str:
    """One import row → "created" / "updated" / "unchanged"; raises InvalidArticle on a bad row."""
    if not isinstance(row, dict):
        raise InvalidArticle(_("A row must be an object."))
    values: dict[str, Any] = {}
    for key in ("title", "questions", "language", "tags", "audience", "kind", "external_id"):
        if row.get(key) not in (None, ""):
            values[key] = row[key]
    answer = row.get("answer") or row.get("short_answer") or ""
    if not isinstance(answer, str):
        raise InvalidArticle(_("The answer must be text."), field="answer")
    values["short_answer"] = answer.strip()[:2000] if row.get("body") else answer.strip()[:300]
    values["body"] = row.get("body") or answer
    if not str(values.get("title") or "").strip():
        raise InvalidArticle(_("A title is required."), field="title")
    if not str(values["body"] or "").strip():
        raise InvalidArticle(_("An answer is required."), field="answer")
    status = row.get("status") or default_status
    if status not in Status.values:
        raise InvalidArticle(_("Unknown status."), field="status")
    values = _validate(values)
    category = row.get("category")
    with transaction.atomic():
        if category:
            values["category"] = category_from_path(str(category))
        ext = values.get("external_id")
        existing = Article.objects.filter(external_id=ext).first() if ext else None
        if existing is None:
            create_article(by=by, status=status, note=_("Imported"), **values)
            return "created"
        before = existing.version, existing.updated_at
        article = update_article(existing, by=by, note=_("Re-imported"), **values)
        if article.status != status and can_move(article.status, status):
            transition(article, to=status, by=by)
        return "updated" if (article.version, article.updated_at) != before else "unchanged"


def import_rows(rows: Iterable[tuple[int, Any]], *, by: Any, progress: Any = None) -> ImportReport:
    """(line number, row or an exception) pairs; good rows are imported, bad ones reported by line."""
    report = ImportReport()
    for line, row in rows:
        try:
            if isinstance(row, Exception):
                raise InvalidArticle(str(row))
            outcome = import_row(row, by=by)
            setattr(report, outcome, getattr(report, outcome) + 1)
        except InvalidArticle as exc:
            where = f" ({exc.field})" if exc.field else ""
            report.errors.append((line, f"{exc.message}{where}"))
        except DatabaseError as exc:  # a value the database refuses: this row only
            report.errors.append((line, str(exc).splitlines()[0][:200]))
        if progress is not None:
            progress.update(1)
    return report


def export_row(article: Article) -> dict[str, Any]:
    return {
        "external_id": article.external_id or f"kefu-{article.pk}",
        "title": article.title,
        "answer": article.short_answer,
        "body": article.body,
        "questions": list(article.questions or []),
        "category": _category_path(article.category),
        "language": article.language,
        "tags": list(article.tags or []),
        "audience": article.audience,
        "status": article.status,
        "kind": article.kind,
    }


def _category_path(category: KbCategory | None) -> str:
    names = []
    seen = 0
    while category is not None and seen < 10:
        names.append(category.name)
        category = category.parent
        seen += 1
    return "/".join(reversed(names))


# ----- case library -----
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\d)(\+?86[- ]?)?1[3-9]\d{9}(?!\d)|(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")
_LONG_NUMBER = re.compile(r"(?<![\d])\d{6,}(?![\d])")
_ID_CARD = re.compile(r"(?<![\dXx])\d{17}[\dXx](?![\dXx])")
CASE_TAGS = ["温暖服务", "可复制案例"]


def anonymise(value: str, names: Iterable[str] = ()) -> str:
    """Names, emails, phone, ID-card and order numbers replaced by placeholders."""
    out = value or ""
    for name in sorted({n for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True):
        out = out.replace(name, _("[customer]"))
    out = _EMAIL.sub(_("[email]"), out)
    out = _ID_CARD.sub(_("[ID number]"), out)
    out = _PHONE.sub(_("[phone]"), out)
    return _LONG_NUMBER.sub(_("[number]"), out)


@transaction.atomic
def create_case_from_ticket(ticket: Any, *, by: Any) -> Article:
    """A draft service case (服务案例) holding the ticket's public conversation, anonymised."""
    existing = Article.objects.filter(source_ticket=ticket, kind=Kind.CASE).first()
    if existing is not None:
        return existing
    customer = ticket.customer
    names = [customer.name, customer.email, getattr(customer.user, "username", "") if customer.user else ""]
    lines = []
    for message in (
        ticket.messages.filter(kind="public").select_related("author").order_by("created_at", "pk")
    ):
        who = _("Customer") if message.from_customer else _("Agent")
        body = anonymise(message.body_text.strip(), names)
        lines.append(f"**{who}**: {body}")
    return create_article(
        by=by,
        title=_("Case: %(subject)s") % {"subject": anonymise(ticket.subject, names)[:250]},
        body="\n\n".join(lines),
        short_answer="",
        kind=Kind.CASE,
        tags=CASE_TAGS,
        note=_("Created from ticket %(number)s") % {"number": ticket.number},
        status=Status.DRAFT,
        source_ticket=ticket,
    )


# ----- files and images -----
IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
RASTER_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}
RASTER_EXTENSIONS = {".png", ".jpg", ".jpeg", ".jfif", ".gif", ".webp"}
MAX_IMAGE_PIXELS = 40_000_000  # ~ 8000 × 5000; beyond this an upload is treated as a decompression bomb
MAX_IMAGE_FRAMES = 300
# Every frame of an animation is decoded to a whole canvas and all are held to write it anew, so
# the frames together are bounded too (about 4 bytes each): a 7 KB GIF of 300 frames of 400 × 400
# would otherwise take 190 MB, one of 300 × 720 × 720 over 600 MB. 100 frames of 400 × 400 fit.
MAX_ANIMATION_PIXELS = 16_000_000


class _TooManyFrames(Exception):
    """An animation past MAX_IMAGE_FRAMES or MAX_ANIMATION_PIXELS (refused before decoding)."""


def _gif_extent(content: bytes, limit: int) -> tuple[int, int, int]:
    """(frames, width, height) of a GIF read from its block structure, no pixel decoded; counting
    stops past `limit` frames. Walks the blocks as Pillow does (an unknown byte is skipped), and
    the canvas is the largest frame: Pillow grows the image when a frame reaches past the screen."""
    import struct

    size = len(content)
    if size < 13:
        return 0, 0, 0
    width, height, flags = struct.unpack_from("<HHB", content, 6)
    pos = 13 + ((3 << ((flags & 7) + 1)) if flags & 0x80 else 0)

    def past_sub_blocks(at: int) -> int:
        while at < size and content[at]:
            at += content[at] + 1
        return at + 1

    frames = 0
    while pos < size and frames <= limit:
        tag = content[pos]
        pos += 1
        if tag == 0x3B:  # trailer
            break
        if tag == 0x21:  # extension: a label, then sub-blocks
            pos = past_sub_blocks(pos + 1)
        elif tag == 0x2C and pos + 9 <= size:  # image: descriptor, colour table, code size, data
            left, top, w, h, image_flags = struct.unpack_from("<HHHHB", content, pos)
            width, height = max(width, left + w), max(height, top + h)
            pos += 9 + ((3 << ((image_flags & 7) + 1)) if image_flags & 0x80 else 0)
            frames += 1
            pos = past_sub_blocks(pos + 1)
        elif tag == 0x2C:
            frames += 1
            break
    return frames, width, height


def _check_frames(frames: int, width: int, height: int) -> None:
    if frames > MAX_IMAGE_FRAMES or (frames > 1 and frames * width * height > MAX_ANIMATION_PIXELS):
        raise _TooManyFrames


def sniff_image(content: bytes) -> str:
    """The raster image type by magic bytes ("" for anything else, SVG included: it can hold script)."""
    for magic, kind in IMAGE_MAGIC:
        if content.startswith(magic):
            return kind
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return ""


def _claims_raster(name: str, content_type: str) -> bool:
    ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    return ext in RASTER_EXTENSIONS or (content_type or "").split(";")[0].strip().lower() in RASTER_TYPES


def _pixels_only(frame: Any, fmt: str) -> Any:
    """A new image holding only the frame's pixels: no info dict (EXIF, comments, text chunks,
    ICC profiles) is carried over."""
    from PIL import Image

    if fmt == "JPEG":
        mode = frame.mode if frame.mode in ("RGB", "L") else "RGB"
    else:
        mode = frame.mode if frame.mode in ("RGB", "RGBA", "L", "LA", "1") else "RGBA"
    frame = frame if frame.mode == mode else frame.convert(mode)
    return Image.frombytes(mode, frame.size, frame.tobytes())


def reencode_image(content: bytes, kind: str, name: str) -> bytes:
    """Decode the image with Pillow and write it anew in the same format: only pixels survive
    (EXIF with GPS position, comments, text chunks, ICC-hidden payloads, data appended after the
    end marker are dropped). Refuses decompression bombs and anything that does not decode."""
    import io
    import warnings

    from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

    from kefu.tickets.errors import AttachmentRejected

    fmt = RASTER_TYPES[kind]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content), formats=[fmt]) as probe:
                if probe.width * probe.height > MAX_IMAGE_PIXELS:
                    raise Image.DecompressionBombError("too many pixels")
                probe.verify()  # structure and checksums, without decoding the pixels
            if fmt == "GIF":  # counted from the blocks: Pillow's n_frames walks every frame
                frames, width, height = _gif_extent(content, MAX_IMAGE_FRAMES)
                if width * height > MAX_IMAGE_PIXELS:  # a frame reaching far past a tiny screen
                    raise Image.DecompressionBombError("too many pixels")
                _check_frames(frames, width, height)
            with Image.open(io.BytesIO(content), formats=[fmt]) as img:
                frames = getattr(img, "n_frames", 1)  # PNG, WebP: from the header
                _check_frames(frames, img.width, img.height)
                frames_out, durations, decoded = [], [], 0
                for index, frame in enumerate(ImageSequence.Iterator(img)):
                    # checked again before each frame's pixels are decoded, whatever was counted
                    decoded += frame.width * frame.height
                    if index and (index >= MAX_IMAGE_FRAMES or decoded > MAX_ANIMATION_PIXELS):
                        raise _TooManyFrames
                    durations.append(int(frame.info.get("duration") or 100))
                    frames_out.append(
                        _pixels_only(ImageOps.exif_transpose(frame) if fmt == "JPEG" else frame, fmt)
                    )
                out = io.BytesIO()
                first = frames_out[0]
                if len(frames_out) > 1:  # animated GIF / WebP: every frame, its timing, nothing else
                    first.save(
                        out, fmt, save_all=True, append_images=frames_out[1:], duration=durations, loop=0
                    )
                elif fmt == "JPEG":
                    first.save(out, "JPEG", quality=90, optimize=True)
                elif fmt == "WEBP":
                    first.save(out, "WEBP", quality=90)
                else:
                    first.save(out, fmt, optimize=True)
    except _TooManyFrames:
        raise AttachmentRejected(
            _(
                "%(name)s: the animation is too large (at most %(frames)s frames and "
                "%(pixels)s million pixels over all its frames)."
            )
            % {"name": name, "frames": MAX_IMAGE_FRAMES, "pixels": MAX_ANIMATION_PIXELS // 1_000_000},
            field="files",
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise AttachmentRejected(
            _("%(name)s: the image is too large (at most %(pixels)s million pixels).")
            % {"name": name, "pixels": MAX_IMAGE_PIXELS // 1_000_000},
            field="files",
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, MemoryError):
        raise AttachmentRejected(
            _("%(name)s is not a valid image (the file is damaged or not what its name says).")
            % {"name": name},
            field="files",
        ) from None
    return out.getvalue()


@transaction.atomic
def add_file(article: Article, *, by: Any, upload: Any) -> ArticleFile:
    """Attach a file (tickets' size/type checks). Raster images (PNG, JPEG, GIF, WebP) are decoded
    and re-encoded with Pillow, so they carry no EXIF/GPS or hidden data and may be shown inline;
    a file named or labelled as such an image that is not one is refused with the reason."""
    import hashlib
    import mimetypes

    from django.core.files.base import ContentFile

    from kefu.core.filenames import storage_name
    from kefu.tickets.errors import AttachmentRejected
    from kefu.tickets.services import check_upload

    name = check_upload(upload)  # AttachmentRejected (422) when too large or a forbidden type
    content = upload.content
    image = sniff_image(content)
    if image:
        content = reencode_image(content, image, name)
    elif _claims_raster(name, upload.content_type or ""):
        raise AttachmentRejected(
            _("%(name)s is not a valid image (the file is damaged or not what its name says).")
            % {"name": name},
            field="files",
        )
    content_type = image or upload.content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    if content_type.startswith("image/") and not image:
        content_type = "application/octet-stream"  # e.g. SVG: it can hold script, so a download only
    digest = hashlib.sha256(content).hexdigest()
    item = ArticleFile(
        article=article,
        filename=name,
        content_type=content_type[:100],
        size=len(content),
        sha256=digest,
        is_image=bool(image),
        uploaded_by=by if getattr(by, "pk", None) else None,
    )
    # stored under a generated key: the sender's name is for display and download only
    item.file.save(storage_name(name, digest), ContentFile(content), save=False)
    item.save()
    return item


@transaction.atomic
def remove_file(item: ArticleFile, *, by: Any) -> None:
    storage, path = item.file.storage, item.file.name
    item.delete()
    transaction.on_commit(lambda: storage.delete(path))


from .bot import answer, converse, record_bot_feedback  # noqa: E402  (re-exported: knowledge.services.answer)

__all__ = [
    "add_file",
    "answer",
    "converse",
    "create_article",
    "diff_versions",
    "import_rows",
    "record_bot_feedback",
    "record_feedback",
    "remove_file",
    "restore_version",
    "transition",
    "update_article",
]
