"""Typed domain errors of the knowledge app."""

from kefu.core.errors import Conflict, NotFound, ValidationFailed

__all__ = ["ArticleNotFound", "BadTransition", "InvalidArticle", "QuestionNotFound", "StaleArticle"]


class ArticleNotFound(NotFound):
    code = "article_not_found"


class BadTransition(Conflict):
    code = "bad_transition"


class StaleArticle(Conflict):
    code = "stale_article"


class InvalidArticle(ValidationFailed):
    code = "invalid_article"


class QuestionNotFound(NotFound):
    code = "question_not_found"
