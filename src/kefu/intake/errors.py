from kefu.core.errors import DomainError


class LinkInvalid(DomainError):
    """A confirmation link that was forged, mangled, expired or already used."""

    code = "link_invalid"
    status = 400
