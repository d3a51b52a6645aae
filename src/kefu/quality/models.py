"""Models of the quality app."""
