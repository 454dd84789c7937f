"""A plugin module that imports in the driver but not in a Ray worker, as a worker of a broken
installation would fail (`specc.ops` missing): for the tests of worker start failures.

A test names it in SPECC_PLUGINS for a `specc run` subprocess; the driver compiles the spec
with it, then every worker fails in its constructor while loading the op registry."""
import sys

if any("default_worker.py" in arg for arg in sys.argv):  # a Ray worker process
    raise ModuleNotFoundError("No module named 'specc.ops'", name="specc.ops")

from specc.ops import Cost, Op, OpParams  # noqa: E402

OP = Op("broken.noop", 1, OpParams, "table", lambda p, c: Cost(), "Never runs: workers cannot import it.")
