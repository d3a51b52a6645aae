"""Merging duplicate customers, and undoing a merge.

A merge moves every row that points at the duplicate onto the customer it is merged into — its
tickets, orders, identities, notes and whatever a higher app stores per customer (chats, calls,
surveys, callbacks) — and records row by row what moved in a `CustomerMerge`. `unmerge` reads that
record and puts exactly those rows back.

The rows are found through Django's app registry (every foreign key to Customer), not by importing
the apps that own them: `customers` sits below `tickets` and the channel apps (DESIGN.md layers),
so it may not import them, yet their rows must move. An app that keeps something else per customer
(a search index, a cache) registers a hook with `register_merge_hook`, called after a merge and
after an unmerge in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.accounts.services import record_audit
from kefu.core.clock import now

from .errors import MergeRefused, UnmergeRefused
from .models import Customer, CustomerIdentity, CustomerMerge, ErasureRequest, IdentityKind, TierChange
from .services import identity_value
from .tiers import recompute_customers

MergeHook = Callable[[CustomerMerge], None]


@dataclass(frozen=True)
class _Hook:
    after_merge: MergeHook
    after_unmerge: MergeHook


_hooks: dict[str, _Hook] = {}

# Rows that stay with the duplicate: the merge records themselves, its own tier history, erasures.
_STAYS = {CustomerMerge, TierChange, ErasureRequest, Customer}


def register_merge_hook(key: str, *, after_merge: MergeHook, after_unmerge: MergeHook) -> None:
    _hooks[key] = _Hook(after_merge, after_unmerge)


def _customer_fields() -> list[tuple[type[models.Model], models.ForeignKey]]:
    """Every (model, foreign key to Customer) whose rows move with a merge, in a stable order."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        if model in _STAYS or model is Customer.tags.through:
            continue
        if model._meta.proxy or not model._meta.managed:  # a second name for a table, or a view
            continue
        for field in model._meta.concrete_fields:
            if (
                isinstance(field, models.ForeignKey)
                and not field.one_to_one
                and field.remote_field.model is Customer
            ):
                found.append((model, field))
    return sorted(found, key=lambda pair: (pair[0]._meta.label, pair[1].name))


def _key(model: type[models.Model], field: models.ForeignKey) -> str:
    return f"{model._meta.label}.{field.name}"


def _move(model: type[models.Model], field: models.ForeignKey, *, frm: Customer, to: Customer) -> list:
    """Point this model's rows of `frm` at `to`; the primary keys moved. A row that cannot move
    (a unique key it would share with one of `to`'s rows) stays where it was."""
    manager = model._base_manager
    ids = list(manager.filter(**{field.name: frm}).order_by("pk").values_list("pk", flat=True))
    if not ids:
        return []
    try:
        with transaction.atomic():
            manager.filter(pk__in=ids).update(**{field.name: to})
        return ids
    except IntegrityError:
        moved = []
        for pk in ids:
            try:
                with transaction.atomic():
                    manager.filter(pk=pk).update(**{field.name: to})
                moved.append(pk)
            except IntegrityError:
                continue
        return moved


@transaction.atomic
def merge_customers(source: Customer, *, into: Customer, by: User | None, ip: str = "") -> CustomerMerge:
    """Merge the duplicate `source` into `into`: all of its history moves, it is marked merged and
    answers for `into` from then on (intake, identities). Refused (MergeRefused) into itself, or
    when either customer is already merged into another."""
    if source.pk == into.pk:
        raise MergeRefused(_("A customer cannot be merged into itself."), field="into")
    fresh = {c.pk: c for c in Customer.objects.filter(pk__in=[source.pk, into.pk])}
    source, into = fresh[source.pk], fresh[into.pk]
    if into.merged_into_id is not None:
        raise MergeRefused(
            _("%(name)s is already merged into another customer: merge into that one.") % {"name": into.name},
            field="into",
        )
    if source.erased_at is not None or into.erased_at is not None:
        raise MergeRefused(_("An erased customer cannot be merged."), field="into")
    at = now()
    # compare-and-set: of two merges of the same duplicate at once, one wins
    claimed = Customer.objects.filter(pk=source.pk, merged_into__isnull=True).update(
        merged_into=into, merged_at=at, updated_at=at
    )
    if not claimed:
        raise MergeRefused(_("%(name)s is already merged into another customer.") % {"name": source.name})
    moved: dict[str, list] = {}
    for model, field in _customer_fields():
        if ids := _move(model, field, frm=source, to=into):
            moved[_key(model, field)] = ids
    added: dict[str, list] = {"identities": [], "tags": []}
    for kind, value in ((IdentityKind.EMAIL, source.email), (IdentityKind.PHONE, source.phone)):
        stored = identity_value(kind, value)
        if not stored or stored == identity_value(kind, getattr(into, kind)):
            continue
        identity, created = CustomerIdentity.objects.get_or_create(
            kind=kind, value=stored, defaults={"customer": into}
        )
        if created:
            added["identities"].append(identity.pk)
    have = set(into.tags.values_list("pk", flat=True))
    new_tags = [pk for pk in source.tags.values_list("pk", flat=True) if pk not in have]
    into.tags.add(*new_tags)
    added["tags"] = new_tags
    merge = CustomerMerge.objects.create(source=source, target=into, by=by, moved=moved, added=added)
    record_audit(
        actor=by,
        action="customer_merge",
        summary=f"customer #{source.pk} merged into #{into.pk}",
        row_count=sum(len(ids) for ids in moved.values()),
        detail={"merge": merge.pk, "source": source.pk, "target": into.pk, "moved": moved, "added": added},
        ip=ip,
    )
    recompute_customers([into.pk])
    for hook in _hooks.values():
        hook.after_merge(merge)
    return merge


@transaction.atomic
def unmerge(merge: CustomerMerge, *, by: User | None, ip: str = "") -> CustomerMerge:
    """Undo a merge from its record: the rows that moved go back to the duplicate, what the merge
    added to the target (identities, tags) is removed, and the duplicate stands on its own again.
    Refused when already undone, or when the target has since been merged on (undo that first)."""
    merge = CustomerMerge.objects.select_related("source", "target").get(pk=merge.pk)
    source, target = merge.source, merge.target
    if merge.undone_at is not None:
        raise UnmergeRefused(_("This merge has already been undone."))
    if target.merged_into_id is not None:
        raise UnmergeRefused(
            _("%(name)s has since been merged into another customer: undo that merge first.")
            % {"name": target.name}
        )
    at = now()
    claimed = CustomerMerge.objects.filter(pk=merge.pk, undone_at__isnull=True).update(
        undone_at=at, undone_by=by
    )
    if not claimed:
        raise UnmergeRefused(_("This merge has already been undone."))
    fields = {_key(model, field): (model, field) for model, field in _customer_fields()}
    restored = 0
    for key, ids in merge.moved.items():
        if key not in fields:
            continue  # an app removed since: its rows went with it
        model, field = fields[key]
        restored += model._base_manager.filter(pk__in=ids, **{field.name: target}).update(
            **{field.name: source}
        )
    CustomerIdentity.objects.filter(pk__in=merge.added.get("identities", []), customer=target).delete()
    target.tags.remove(*merge.added.get("tags", []))
    Customer.objects.filter(pk=source.pk).update(merged_into=None, merged_at=None, updated_at=at)
    merge.refresh_from_db()
    record_audit(
        actor=by,
        action="customer_unmerge",
        summary=f"merge of customer #{source.pk} into #{target.pk} undone",
        row_count=restored,
        detail={"merge": merge.pk, "source": source.pk, "target": target.pk},
        ip=ip,
    )
    recompute_customers([source.pk, target.pk])
    for hook in _hooks.values():
        hook.after_unmerge(merge)
    return merge
