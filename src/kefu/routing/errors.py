"""Typed errors of the routing app."""

from kefu.core.errors import NotFound, ValidationFailed


class TrainingFailed(ValidationFailed):
    code = "training_failed"


class UntrainedField(NotFound):
    code = "untrained_field"


class RuleInvalid(ValidationFailed):
    code = "rule_invalid"
