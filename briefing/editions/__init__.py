"""editions: what each edition carries, the privacy check, and archive copies."""

EDITIONS = ("internal", "councillor", "public")  # light to import: the CLI's choices
