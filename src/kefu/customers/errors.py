"""Typed errors of the customers app (mapped to `{code, message, field?}` by the API)."""

from kefu.core.errors import Conflict, PermissionDenied, ValidationFailed


class MergeRefused(ValidationFailed):
    """Merging a customer into itself, or from/into one that is already merged."""

    code = "merge_refused"


class UnmergeRefused(Conflict):
    code = "unmerge_refused"


class IdentityTaken(Conflict):
    """The address, number or id already identifies another customer."""

    code = "identity_taken"


class UnmaskForbidden(PermissionDenied):
    code = "unmask_forbidden"


class ErasureRefused(Conflict):
    code = "erasure_refused"
