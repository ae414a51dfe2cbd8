"""Per-method stage functions (what the workflow scripts call): one module per method."""
