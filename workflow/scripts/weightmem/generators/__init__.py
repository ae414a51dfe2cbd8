"""Weight generators, one module per method, each with ``fit(...)`` and ``sample(...)``."""
