"""The one search engine of the knowledge base (help centre, agent workspace, bot)."""
