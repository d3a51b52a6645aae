from kefu.core.errors import DomainError, ValidationFailed


class LinkInvalid(DomainError):
    """A confirmation link that was forged, mangled, expired or already used."""

    code = "link_invalid"
    status = 400


class EmailTaken(ValidationFailed):
    code = "email_taken"
