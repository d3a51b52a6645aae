"""Install-level markers kept in the database, so they follow the data wherever it lives."""

from django.db import models


class Marker(models.Model):
    """A one-off thing that happened to this install (e.g. "demo_loaded"), recorded once."""

    name = models.CharField(max_length=100, unique=True)
    value = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name
