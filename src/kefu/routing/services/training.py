"""Train, store, version and load triage models."""

from __future__ import annotations

import csv
import io
import logging
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from kefu.accounts.models import SYSTEM_USERNAME
from kefu.core.clock import now
from kefu.routing import classifier
from kefu.routing.errors import TrainingFailed, UntrainedField
from kefu.routing.models import TriageFeedback, TriageModel
from kefu.tickets.models import MessageKind, Ticket, TicketEvent
from kefu.tickets.states import DONE_STATUSES

log = logging.getLogger("kefu.routing")
_cache: dict[tuple[str, int], Any] = {}
BOT_USERNAME = SYSTEM_USERNAME


@dataclass
class Dataset:
    texts: list[str]
    labels: list[str]
    source: str


def read_file(path: str | Path) -> Dataset:
    """A CSV (or TSV) with the columns text,label. Raises TrainingFailed with a clear reason."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise TrainingFailed(_("File not found: %(path)s") % {"path": path}, field="from") from None
    except UnicodeDecodeError:
        raise TrainingFailed(_("The file is not UTF-8 text."), field="from") from None
    delimiter = "\t" if path.suffix.lower() == ".tsv" or ("\t" in raw.split("\n", 1)[0]) else ","
    reader = csv.DictReader(io.StringIO(raw), delimiter=delimiter)
    columns = [c.strip().lower() for c in reader.fieldnames or []]
    if "text" not in columns or "label" not in columns:
        raise TrainingFailed(
            _("The file needs the columns text,label; it has: %(cols)s")
            % {"cols": ", ".join(columns) or "-"},
            field="from",
        )
    reader.fieldnames = columns
    texts, labels = [], []
    for row in reader:
        texts.append((row.get("text") or "").strip())
        labels.append((row.get("label") or "").strip())
    return Dataset(texts, labels, source=path.name)


def check(texts: Sequence[str], labels: Sequence[str]) -> None:
    try:
        classifier.check_training_set(texts, labels)
    except classifier.TrainingDataError as err:
        raise TrainingFailed(str(err), field="from") from None


def _dump(pipeline: Any) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(pipeline, buffer)
    return zlib.compress(buffer.getvalue(), 6)


def _load(blob: bytes) -> Any:
    return joblib.load(io.BytesIO(zlib.decompress(bytes(blob))))


def train(
    *,
    field: str,
    texts: Sequence[str],
    labels: Sequence[str],
    source: str,
    folds: int = 5,
    progress: Callable[[int], None] | None = None,
    activate: bool = True,
    encoder: bool = True,
) -> TriageModel:
    """Cross-validate (metrics incl. per-class accuracy on held-out folds), fit on all rows, store.

    The new version becomes the active model of the field. `encoder=False` leaves out the sentence
    encoder's vectors: about a point less accurate, several times faster to train and predict.
    """
    field = (field or "").strip()
    if not field or len(field) > 50:
        raise TrainingFailed(_("Give a field name (at most 50 characters)."), field="field")
    check(texts, labels)
    params = classifier.Params() if encoder else classifier.Params(sentence_vectors=0.0)
    with classifier.remember_vectors():  # each text is encoded once for all folds and the final fit
        metrics = classifier.cross_validate(texts, labels, folds=folds, progress=progress, params=params)
        pipeline = classifier.fit(texts, labels, params)
    if progress:
        progress(1)
    metrics["classes"] = sorted(set(labels))
    metrics["encoder"] = encoder
    blob = _dump(pipeline)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                top = TriageModel.objects.filter(field=field).aggregate(v=Max("version"))["v"] or 0
                if activate:
                    TriageModel.objects.filter(field=field, is_active=True).update(is_active=False)
                model = TriageModel.objects.create(
                    field=field,
                    version=top + 1,
                    trained_at=now(),
                    source=source[:200],
                    rows=len(texts),
                    metrics=metrics,
                    blob=blob,
                    is_active=activate,
                )
            break
        except IntegrityError:  # another node trained the same field at once: take the next version
            continue
    else:
        raise TrainingFailed(_("Could not store the model; try again."), field="field")
    _cache[(field, model.version)] = pipeline
    return model


def activate(model: TriageModel) -> TriageModel:
    with transaction.atomic():
        TriageModel.objects.filter(field=model.field, is_active=True).exclude(pk=model.pk).update(
            is_active=False
        )
        TriageModel.objects.filter(pk=model.pk).update(is_active=True)
    model.is_active = True
    return model


def active_model(field: str) -> TriageModel | None:
    return TriageModel.objects.filter(field=field, is_active=True).defer("blob").first()


def pipeline_for(model: TriageModel) -> Any:
    key = (model.field, model.version)
    if key not in _cache:
        blob = TriageModel.objects.filter(pk=model.pk).values_list("blob", flat=True).first()
        if blob is None:
            raise UntrainedField(_("No model is trained for %(f)s.") % {"f": model.field}, field="field")
        if len(_cache) > 16:
            _cache.clear()
        _cache[key] = _load(blob)
    return _cache[key]


def predict(*, field: str, texts: Sequence[str]) -> tuple[TriageModel, list[tuple[str, float]]]:
    """(label, probability) per text with the active model of `field`; UntrainedField when none."""
    model, ranked = predict_top(field=field, texts=texts, k=1)
    return model, [r[0] for r in ranked]


def predict_top(
    *, field: str, texts: Sequence[str], k: int = 3
) -> tuple[TriageModel, list[list[tuple[str, float]]]]:
    """The k likeliest (label, probability) per text, best first; [("", 0.0)] for an empty text."""
    model = active_model(field)
    if model is None:
        raise UntrainedField(
            _(
                "No triage model is trained for the field %(f)s yet. Train one with: kefu triage train "
                "--from FILE.csv --field %(f)s"
            )
            % {"f": field},
            field="field",
        )
    pipeline = pipeline_for(model)
    results: list[list[tuple[str, float]]] = [[("", 0.0)] for _t in texts]
    idx = [i for i, t in enumerate(texts) if (t or "").strip()]
    for i, ranked in zip(idx, classifier.predict_top(pipeline, [texts[i] for i in idx], k=k), strict=True):
        results[i] = ranked
    return model, results


def evaluate(*, field: str, texts: Sequence[str], labels: Sequence[str]) -> dict:
    from sklearn.metrics import accuracy_score, f1_score

    if not texts:
        raise TrainingFailed(_("The test file has no rows."), field="test")
    _model, predicted = predict(field=field, texts=texts)
    guesses = [label for label, _p in predicted]
    return {
        "n": len(texts),
        "accuracy": float(accuracy_score(labels, guesses)),
        "macro_f1": float(f1_score(labels, guesses, average="macro", zero_division=0)),
        "per_class": classifier.per_class(labels, guesses),
    }


# --------------------------------------------------------------------------- history


def ticket_text(subject: str, body: str) -> str:
    return f"{subject}\n{body}".strip()


def label_of(ticket: Ticket, field: str, departments: dict[int, str]) -> str:
    if field == "type":
        return ticket.type
    if field == "priority":
        return ticket.priority
    if field == "category":
        return ticket.category.name if ticket.category_id else ""
    if field == "team":
        return ticket.team.name if ticket.team_id else ""
    if field == "department":
        return departments.get(ticket.pk, "")
    return ""


# external_id prefix of the message a bot hand-off files (knowledge.bot.HANDOFF_MARK; routing and
# knowledge are siblings, so the convention is a string both sides keep: test_handoff_triage.py)
BOT_TRANSCRIPT = "kb-bot:"


def customer_lines(transcript: str) -> str:
    """The customer's own lines of a bot hand-off's transcript (knowledge.bot.render_transcript: a
    heading, then one ``<who>: <text>`` line per turn, the customer first), without the labels.

    The bot's lines are left out: they are not the customer's words, and they hurt triage — a
    "did you mean" lists every article the search half-matched (如何开具发票 under 怎么退货), so a
    keyword rule such as 发票 → 开具发票 fires on a title the customer never asked about, and the
    fixed phrases (已用文章回答, 正在为您转接人工客服) say nothing about the request. A text that
    is not such a transcript is returned as it is."""
    turns = [line.partition(": ") for line in transcript.splitlines()]
    turns = [(who.strip(), said) for who, sep, said in turns if sep and who.strip()]
    if not turns:
        return transcript
    customer = turns[0][0]
    return "\n".join(said.strip() for who, said in turns if who == customer and said.strip())


def history(field: str, *, limit: int = 20_000) -> Dataset:
    """Tickets whose `field` agents set or confirmed: done tickets, tickets with triage feedback and
    tickets where an agent changed the field. Text = subject + the first public message (of a bot
    hand-off only the customer's lines, as triage reads it: training and prediction see the same)."""
    from kefu.tickets.models import TicketShare

    confirmed_ids = set(TriageFeedback.objects.filter(field=field).values_list("ticket_id", flat=True))
    changed = TicketEvent.objects.filter(field=field, actor__isnull=False).exclude(
        actor__username=BOT_USERNAME
    )
    confirmed_ids |= set(changed.values_list("ticket_id", flat=True)[:limit])
    done = Ticket.objects.filter(status__in=DONE_STATUSES, merged_into__isnull=True)
    ids = set(done.order_by("-id").values_list("id", flat=True)[:limit]) | confirmed_ids
    tickets = list(
        Ticket.objects.filter(pk__in=ids)
        .select_related("category", "team")
        .only("id", "subject", "type", "priority", "category__name", "team__name")
    )
    departments: dict[int, str] = {}
    if field == "department":
        for ticket_id, name in (
            TicketShare.objects.filter(ticket_id__in=ids)
            .order_by("created_at")
            .values_list("ticket_id", "department__name")
        ):
            departments.setdefault(ticket_id, name)
    first_bodies: dict[int, str] = {}
    from kefu.tickets.models import Message

    for ticket_id, body, external_id in (
        Message.objects.filter(ticket_id__in=ids, kind=MessageKind.PUBLIC, from_customer=True)
        .order_by("ticket_id", "created_at", "id")
        .values_list("ticket_id", "body_text", "external_id")
    ):
        if ticket_id not in first_bodies:
            first_bodies[ticket_id] = customer_lines(body) if external_id.startswith(BOT_TRANSCRIPT) else body
    texts, labels = [], []
    for ticket in tickets:
        label = label_of(ticket, field, departments)
        text = ticket_text(ticket.subject, first_bodies.get(ticket.pk, ""))
        if label and text:
            texts.append(text)
            labels.append(label)
    # history may hold a rare label once: leave it out rather than refuse the whole training
    counts = Counter(labels)
    keep = [i for i, label in enumerate(labels) if counts[label] >= 2]
    return Dataset([texts[i] for i in keep], [labels[i] for i in keep], source="history")


def train_from_history(
    field: str, *, folds: int = 5, progress: Callable[[int], None] | None = None
) -> TriageModel:
    data = history(field)
    if len(set(data.labels)) < 2:
        raise TrainingFailed(
            _(
                "Not enough confirmed tickets to train %(f)s: it needs at least two values with two "
                "tickets each."
            )
            % {"f": field},
            field="field",
        )
    return train(
        field=field, texts=data.texts, labels=data.labels, source="history", folds=folds, progress=progress
    )


def retrain_all(fields: Iterable[str] = ("type", "category", "team", "department", "priority")) -> dict:
    """Retrain every ticket field from history; a field without enough data is reported, not raised."""
    done: dict[str, str] = {}
    for field in fields:
        try:
            model = train_from_history(field, folds=3)
            done[field] = f"v{model.version}"
        except TrainingFailed as err:
            done[field] = err.message
    return done
