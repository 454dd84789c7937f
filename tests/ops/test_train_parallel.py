"""ops/train/_parallel.py without a process group: the sharding decision, and resume state
that moves between one process and N workers (optimiser state by position vs by name)."""
from __future__ import annotations

import pytest
import torch

from specc.ops.train._parallel import (Replica, _by_name, _by_position, _optimizer_names,
                                       resolve_sharding)

GIB = 2**30


@pytest.mark.parametrize("requested, params, device, world, local, expected", [
    ("auto", 10**8, 80 * GIB, 8, 8, "none"),          # 1.6 GB of state: fits one H100
    ("auto", 7 * 10**9, 80 * GIB, 8, 8, "full"),      # 112 GB: shard over the node
    ("auto", 7 * 10**9, 80 * GIB, 16, 8, "hybrid"),   # one node holds it: shard there, replicate across
    ("auto", 40 * 10**9, 80 * GIB, 16, 8, "full"),    # 640 GB: more than one node holds (8 x 56 GiB)
    ("none", 7 * 10**9, 80 * GIB, 8, 8, "none"),      # asked for: honoured (may run out of memory)
    ("hybrid", 10**8, 80 * GIB, 16, 8, "hybrid"),
    ("auto", 7 * 10**9, None, 2, 2, "none"),          # CPU workers: host memory, DDP
])
def test_sharding_decision(requested, params, device, world, local, expected):
    assert resolve_sharding(requested, params, device, world, local, "pretrain") == expected


def test_a_model_that_fits_nowhere_fails_fast_naming_the_stage():
    with pytest.raises(ValueError, match=r"stage big: .*even fully sharded over 8 workers"):
        resolve_sharding("auto", 70 * 10**9, 80 * GIB, 8, 8, "big")


def _trained():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LayerNorm(4), torch.nn.Linear(4, 2))
    opt = torch.optim.AdamW([{"params": [p for p in model.parameters() if p.dim() >= 2]},
                             {"params": [p for p in model.parameters() if p.dim() < 2]}])
    model(torch.randn(5, 3)).sum().backward()
    opt.step()
    return model, opt


def test_optimizer_state_round_trips_between_positions_and_names():
    model, opt = _trained()
    names = _optimizer_names(model, opt)
    assert names == ["0.weight", "2.weight", "0.bias", "1.weight", "1.bias", "2.bias"]  # groups' order
    plain = opt.state_dict()
    by_name = _by_name(plain, names)
    assert set(by_name["state"]) == set(names)
    assert torch.equal(by_name["state"]["2.weight"]["exp_avg"], plain["state"][1]["exp_avg"])
    back = _by_position(by_name, names)
    assert back["param_groups"] == plain["param_groups"]
    assert all(torch.equal(back["state"][i]["exp_avg_sq"], plain["state"][i]["exp_avg_sq"]) for i in plain["state"])


def test_one_process_resumes_a_state_saved_by_n_workers():
    """A 'full' state (by parameter name, as N workers save it) loads into one process."""
    model, opt = _trained()
    names = _optimizer_names(model, opt)
    state = {"format": "full", "model": model.state_dict(), "optimizer": _by_name(opt.state_dict(), names)}
    fresh, fresh_opt = _trained()
    with torch.no_grad():
        for p in fresh.parameters():
            p.zero_()
    Replica().load(fresh, fresh_opt, state)
    assert all(torch.equal(a, b) for a, b in zip(fresh.state_dict().values(), model.state_dict().values()))
    assert torch.equal(fresh_opt.state_dict()["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])


def test_alone_every_hook_is_the_identity():
    r, x = Replica(), torch.arange(8).view(4, 2)
    assert r.local_rows(x) is x and r.world_size == 1 and r.is_main
    assert r.any(True) and not r.any(False)
    assert r.describe() == {"world_size": 1, "sharding": "none", "parallelism": "single device"}
