"""Inside a task's container: run the payload the worker left in the exchange folder.

    python -m specc.runtime.container_entry /specc-task

Reads payload.pkl, runs it with the same `execute` as a host worker (manifest, commit,
OOM back-off), writes result.json. The exit code is 0 whenever a result was written:
a failed task is a `failed` result, not a crashed container.
"""
from __future__ import annotations

import json
import pickle
import sys
from pathlib import Path


def main(folder: str) -> int:
    from .worker import ModelCache, execute
    with open(Path(folder, "payload.pkl"), "rb") as f:
        payload = pickle.load(f)
    result = execute(payload, ModelCache(), {})
    Path(folder, "result.json").write_text(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
