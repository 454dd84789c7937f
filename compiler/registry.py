"""The generic registry lives in specc.registry (ops and measure functions use it
without importing the compiler); re-exported here for the compiler's modules."""
from specc.registry import Registry, UnknownName  # noqa: F401
