"""Models of the emergency app."""
