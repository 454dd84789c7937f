"""specc's runtime: run a compiled plan on Ray, with an artifact store and a ledger.

    from specc.compiler import compile_spec
    from specc.runtime import RunOptions, run_plan
    result = run_plan(compile_spec("specs/x.yaml"), RunOptions(max_parallel=4))

Ops see the world through `TaskContext` (see `context.py`).
"""
from .context import TaskContext
from .ledger import Ledger
from .run import RunOptions, RunResult, RunSetupError, run_plan
from .store import ArtifactStore

__all__ = ["run_plan", "RunOptions", "RunResult", "RunSetupError", "TaskContext", "ArtifactStore", "Ledger"]
