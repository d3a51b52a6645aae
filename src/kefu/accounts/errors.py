from kefu.core.errors import DomainError


class TokenInvalid(DomainError):
    code = "token_invalid"
    status = 401
