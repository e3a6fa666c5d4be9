"""trims."""
