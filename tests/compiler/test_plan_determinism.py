"""Same spec => byte-identical plan, in this process and in a fresh one."""
import subprocess
import sys
from pathlib import Path

from specc.compiler import compile_spec

TOY = Path(__file__).parents[2] / "tests" / "specs" / "blimp-toy.yaml"


def test_same_spec_same_bytes():
    assert compile_spec(TOY).to_json() == compile_spec(TOY).to_json()


def test_same_bytes_across_processes():
    code = ("import sys; from specc.compiler import compile_spec; "
            f"sys.stdout.write(compile_spec({str(TOY)!r}).to_json())")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout for seed in ("1", "2")]
    assert runs[0] == runs[1] == compile_spec(TOY).to_json()


def test_task_ids_are_readable():
    ids = compile_spec(TOY).task_ids()
    assert "pretrain/model=tiny/seed=2" in ids
    assert "score/model=tiny/seed=2/checkpoint=300" in ids
    assert ids[0] == "tokenizer"
