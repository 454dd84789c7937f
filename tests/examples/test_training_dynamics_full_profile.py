"""The flagship's full profile is study 4 of STUDIES.md: its numbers, and measures that name
real columns of the study's item file (checked here against a file with that file's header,
since the real one is fetched from GitHub only when the spec runs)."""
from pathlib import Path

import pytest
import yaml

from specc.compiler import compile_spec

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "specs" / "training-dynamics.yaml"
# nonce_and_attested_binoms.csv's header, with *BStress renamed as the spec's `rename:` does
HEADER = ("Word1,Word2,Alpha,Nonalpha,OverallFreq,Word1_freq,Word2_freq,Weird?,Form,Percept,Culture,"
          "Power,Intense,Icon,Freq,Len,Lapse,BStress,RelFreq,GenPref,Attested")
ROWS = ["salt,pepper,salt and pepper,pepper and salt,1000,5,5,no,0,0,0,0,0,0,0.1,0,0,1,0.9,0.7,1",
        "kiwis,ocelots,kiwis and ocelots,ocelots and kiwis,0,1,1,no,0,0,0,-1,0,0,2.7,0,-1,-1,0,,0"]


@pytest.fixture(scope="module")
def plan():
    return compile_spec(SPEC)


def test_the_study_in_numbers(plan):
    assert len(plan.tasks) == 6009
    counts = {name: sum(t.stage == name for t in plan.tasks) for name in plan.stages}
    assert counts == {"tokenizer": 1, "pretrain": 6, "freq": 2, "score": 6000}
    pre = plan.spec.stages["pretrain"].params
    tokens_per_step = pre["batch_size"] * pre["grad_accum"] * pre["block_size"]
    assert tokens_per_step == 819_200 and pre["block_size"] == 1024
    assert 9.99e9 < pre["steps"] * tokens_per_step <= 1.0e10             # ~10B tokens per run
    assert pre["checkpoint_every_tokens"] == 10_000_000 and pre["warmup_steps"] == 4000
    assert pre["precision"] == "bf16" and plan.spec.seed == 964
    assert plan.spec.stages["tokenizer"].params["vocab_size"] == 8192
    shapes = {name: (m.n_layer, m.n_embd, m.n_head, m.d_ff) for name, m in plan.spec.models.items()}
    assert shapes == {"opt125m": (12, 768, 12, 3072), "opt350m": (24, 1024, 16, 4096),
                      "opt1b3": (24, 2048, 32, 8192)}
    assert len(plan.spec.stages["score"].params["prompts"]) == 51   # the study's script, verbatim
    checkpoints = sorted({dict(t.condition)["checkpoint"] for t in plan.tasks if t.stage == "score"})
    assert len(checkpoints) == 1000 and checkpoints[0] == 13 and checkpoints[-1] == 12207


def test_measures_name_columns_of_the_study_item_file(tmp_path):
    items = tmp_path / "items.csv"
    items.write_text("\n".join([HEADER, *ROWS]) + "\n")
    spec = yaml.safe_load(SPEC.read_text())
    spec["data"]["binomials"] = spec["data"]["humans"] = {"csv": str(items)}
    path = tmp_path / "training-dynamics.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))
    plan = compile_spec(path, data_roots=(str(tmp_path),))
    assert set(plan.hypotheses) == {"H1", "H2", "H3", "H4", "H5", "H6"}


def test_a_misspelt_predictor_is_caught_against_that_header(tmp_path):
    items = tmp_path / "items.csv"
    items.write_text("\n".join([HEADER.replace("BStress", "*BStress"), *ROWS]) + "\n")
    spec = yaml.safe_load(SPEC.read_text())
    spec["data"]["binomials"] = spec["data"]["humans"] = {"csv": str(items)}
    path = tmp_path / "training-dynamics.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))
    with pytest.raises(Exception, match="BStress"):
        compile_spec(path, data_roots=(str(tmp_path),))
