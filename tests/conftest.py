import os
import sys
from pathlib import Path

# Tests never reach a model or data hub: everything is built from config or read from ../shared/data.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# The tiny ops of tests/plugins (tiny.value, tiny.sum, tiny.model_stat) are registered as
# plugins before specc.ops loads; PYTHONPATH lets Ray workers and `specc` subprocesses import them.
PLUGINS = Path(__file__).parent / "plugins"
os.environ["SPECC_PLUGINS"] = "tiny_ops"
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PLUGINS), os.environ.get("PYTHONPATH")]))
sys.path.insert(0, str(PLUGINS))
