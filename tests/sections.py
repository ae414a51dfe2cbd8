"""Settings objects for unit tests, built like the workflow builds them: the schema's defaults
(config/schema.yaml, the one source of defaults) plus the values a test sets."""
from dataclasses import fields

from weightmem.config import defaults


def section(cls, path: str, **values):
    """``cls`` from the defaults of schema section ``path`` overridden by ``values``."""
    names = {f.name for f in fields(cls)}
    merged = {**defaults(path), **values}
    return cls(**{k: v for k, v in merged.items() if k in names})
