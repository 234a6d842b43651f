"""editions: what each edition carries, the privacy check, and archive copies."""
