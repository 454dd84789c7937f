"""How one training process takes part in a task: alone, or as one of N data-parallel workers.

The training loop (_loop.py) calls the same few hooks whatever the world size:

    dist = ctx.parallel                        Replica() alone; DataParallel in a Ray Train worker
    model = dist.prepare(model)                DDP, FSDP (fully_shard) or the model itself
    x = dist.local_rows(x)                     this worker's slice of the step's global batch
    dist.mean(loss)                            the mean over workers (for the history)
    with dist.accumulating(last): backward     no gradient sync before a step's last micro-batch
    dist.state(model, opt) / dist.load(...)    full (unsharded) resume state, world-size free
    dist.save_pretrained(model, folder)        gathered weights, a plain save_pretrained model
    dist.persist(folder)                       make the resume folder durable (Ray Train checkpoint)

Same science at any scale. The global batch (rows per optimiser step), the learning-rate
schedule, the block order and the injection schedule are all defined on the global step
(see _blocks.py); worker r of N trains on rows r·R/N .. (r+1)·R/N - 1 of each step's R rows,
so the N workers together see exactly the blocks one worker would, in the same order. What may
differ bit for bit: the order in which gradients are summed (an all-reduce adds N partial sums,
one worker adds R rows), hence the last bits of every update, and dropout masks (each worker
draws its own). With dropout 0, losses agree to float tolerance (tests/ops/train/test_parallel*).

Sharding: `none` is DDP (every worker holds the whole model, gradients all-reduced), `full` is
FSDP2 FULL_SHARD (parameters, gradients and AdamW state split over all workers), `hybrid` is
FSDP2 HYBRID_SHARD (split within a node, replicated across nodes: all-gathers stay on the
node's fast links). `auto` picks `none` when the training state fits one device and FSDP when it
does not (see `resolve_sharding`).
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, Callable

# Bytes of training state per parameter under AdamW with fp32 master weights: weights 4,
# gradients 4, exp_avg 4, exp_avg_sq 4. Activations come on top, hence HEADROOM.
STATE_BYTES_PER_PARAM = 16
HEADROOM = 0.7   # share of device memory the training state may take before sharding

# For tests only: "rank:step:marker" kills that worker (os._exit) after that optimiser step,
# once (the marker file records that it happened), as if its process or node died.
KILL_ENV = "SPECC_TEST_KILL_WORKER"


class Replica:
    """World size 1: every hook is the identity, the state is the plain state_dicts."""

    world_size = 1
    rank = 0
    local_world_size = 1
    is_main = True
    sharding = "none"
    fused_optimizer = True   # fused AdamW: one kernel; DTensor parameters need the for-each one

    def prepare(self, model: Any) -> Any:
        return model

    def settle(self, model: Any) -> str:
        """The sharding this process trains `model` with (`auto` made concrete)."""
        return self.sharding

    def local_rows(self, x: Any) -> Any:
        return x

    def mean(self, value: Any) -> Any:
        return value

    def accumulating(self, model: Any, last: bool):
        return contextlib.nullcontext()

    def any(self, flag: bool) -> bool:
        return flag

    def state(self, model: Any, opt: Any) -> dict[str, Any]:
        return {"model": model.state_dict(), "optimizer": opt.state_dict()}

    def load(self, model: Any, opt: Any, state: dict[str, Any]) -> None:
        model.load_state_dict(state["model"])
        osd = state["optimizer"]
        if state.get("format") == "full":   # saved by N workers: parameter names -> positions
            osd = _by_position(osd, _optimizer_names(model, opt))
        opt.load_state_dict(osd)

    def save_pretrained(self, model: Any, folder: Path) -> None:
        model.save_pretrained(str(folder))

    def unwrap(self, model: Any) -> Any:
        return model

    def persist(self, folder: Path) -> None:
        """Nothing to do: the resume folder is the store's own."""

    def step_done(self, step: int) -> None:
        """Nothing to do alone (the multi-worker test hook lives in DataParallel)."""

    def describe(self) -> dict[str, Any]:
        return {"world_size": 1, "sharding": "none", "parallelism": "single device"}


class DataParallel(Replica):
    """One of N workers of a torch.distributed process group (set up by Ray Train).

    `persist(folder)` is the runtime's (runtime/distributed.py): rank 0 reports the folder's
    new files as a Ray Train checkpoint, the others join the barrier.
    """

    is_main = False

    def __init__(self, rank: int, world_size: int, local_world_size: int, sharding: str,
                 device: str, persist: Callable[[Path], None], stage: str = "?"):
        self.rank, self.world_size, self.local_world_size = rank, world_size, local_world_size
        self.stage = stage
        self.is_main = rank == 0
        self.sharding = sharding
        self.device = device
        self.fused_optimizer = sharding == "none"
        self._settled = False
        self._persist = persist

    # -- the model -------------------------------------------------------------------------

    def settle(self, model: Any) -> str:
        if not self._settled:
            self.sharding = self._resolve(model)
            self.fused_optimizer = self.sharding == "none"
            self._settled = True
        return self.sharding

    def prepare(self, model: Any) -> Any:
        import torch
        self.settle(model)
        if self.sharding == "none":
            from torch.nn.parallel import DistributedDataParallel
            ids = [torch.cuda.current_device()] if self.device == "cuda" else None
            return DistributedDataParallel(model, device_ids=ids)
        from torch.distributed.device_mesh import init_device_mesh
        from torch.distributed.fsdp import fully_shard
        if self.sharding == "hybrid":
            if self.world_size % self.local_world_size:
                raise ValueError(f"hybrid sharding needs the same number of workers on every node; "
                                 f"{self.world_size} workers with {self.local_world_size} on this one")
            mesh = init_device_mesh(self.device, (self.world_size // self.local_world_size,
                                                  self.local_world_size), mesh_dim_names=("replicate", "shard"))
        else:
            mesh = init_device_mesh(self.device, (self.world_size,))
        # One FSDP unit per transformer block (all-gathered just before it runs), then the rest.
        for block in _blocks_of(model):
            fully_shard(block, mesh=mesh)
        fully_shard(model, mesh=mesh)
        return model

    def _resolve(self, model: Any) -> str:
        """`auto` made concrete from the model's size and the smallest device of the group."""
        import torch
        import torch.distributed as dist
        device_bytes = None
        if self.device == "cuda":
            free = torch.tensor([torch.cuda.get_device_properties(torch.cuda.current_device()).total_memory],
                                device="cuda", dtype=torch.float64)
            dist.all_reduce(free, op=dist.ReduceOp.MIN)
            device_bytes = int(free.item())
        n_params = sum(p.numel() for p in model.parameters())
        return resolve_sharding(self.sharding, n_params, device_bytes, self.world_size,
                                self.local_world_size, self.stage)

    def unwrap(self, model: Any) -> Any:
        return getattr(model, "module", model)  # DDP's wrapper; FSDP2 shards in place

    def local_rows(self, x: Any) -> Any:
        rows = len(x)
        if rows % self.world_size:
            raise ValueError(f"a step's {rows} rows do not split over {self.world_size} workers")
        share = rows // self.world_size
        return x[self.rank * share:(self.rank + 1) * share]

    def mean(self, value: Any) -> Any:
        import torch.distributed as dist
        value = value.clone()
        dist.all_reduce(value, op=dist.ReduceOp.SUM)
        return value / self.world_size

    def any(self, flag: bool) -> bool:
        """True on every worker when it is true on one (decisions every worker must share)."""
        import torch
        import torch.distributed as dist
        value = torch.tensor([float(flag)], device=self.device)
        dist.all_reduce(value, op=dist.ReduceOp.MAX)
        return bool(value.item())

    def accumulating(self, model: Any, last: bool):
        """Gradients are synchronised once per optimiser step, on its last micro-batch."""
        if self.sharding == "none":
            return contextlib.nullcontext() if last else model.no_sync()
        model.set_requires_gradient_sync(last)
        return contextlib.nullcontext()

    # -- state ------------------------------------------------------------------------------

    def state(self, model: Any, opt: Any) -> dict[str, Any]:
        """Full state dicts gathered to CPU (on rank 0; the others get empty ones): a state saved
        by N workers resumes on any number of them, or on one."""
        from torch.distributed.checkpoint.state_dict import (StateDictOptions, get_model_state_dict,
                                                             get_optimizer_state_dict)
        options = StateDictOptions(full_state_dict=True, cpu_offload=True)
        return {"format": "full", "model": get_model_state_dict(model, options=options),
                "optimizer": get_optimizer_state_dict(model, opt, options=options),
                "rng_by_rank": self._gather_rng()}

    def _gather_rng(self) -> list[Any]:
        """Every worker's RNG states (dropout), so a resumed run draws the same masks."""
        import torch
        import torch.distributed as dist
        mine = {"cpu": torch.get_rng_state(),
                "cuda": torch.cuda.get_rng_state() if self.device == "cuda" else None}
        states: list[Any] = [None] * self.world_size
        dist.all_gather_object(states, mine)
        return states

    def load(self, model: Any, opt: Any, state: dict[str, Any]) -> None:
        from torch.distributed.checkpoint.state_dict import (StateDictOptions, set_model_state_dict,
                                                             set_optimizer_state_dict)
        osd = state["optimizer"]
        if state.get("format") != "full":   # saved by one process: positions -> parameter names
            osd = _by_name(osd, _optimizer_names(model, opt))
        options = StateDictOptions(full_state_dict=True)
        set_model_state_dict(model, state["model"], options=options)
        set_optimizer_state_dict(model, opt, osd, options=options)
        rng = state.get("rng_by_rank") or []
        if len(rng) == self.world_size:  # same world size: each worker continues its own draws
            import torch
            torch.set_rng_state(rng[self.rank]["cpu"])
            if self.device == "cuda" and rng[self.rank]["cuda"] is not None:
                torch.cuda.set_rng_state(rng[self.rank]["cuda"])

    def save_pretrained(self, model: Any, folder: Path) -> None:
        """Every worker takes part in the gather; rank 0 writes a plain save_pretrained model."""
        from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict
        full = get_model_state_dict(model, options=StateDictOptions(full_state_dict=True, cpu_offload=True))
        if self.is_main:
            plain = self.unwrap(model)
            plain.save_pretrained(str(folder), state_dict=without_tied_copies(plain, full))

    def persist(self, folder: Path) -> None:
        self._persist(folder)

    def step_done(self, step: int) -> None:
        spec = os.environ.get(KILL_ENV)
        if not spec:
            return
        rank, at, marker = spec.split(":", 2)
        if int(rank) == self.rank and int(at) == step and not Path(marker).exists():
            Path(marker).write_text(f"killed rank {rank} after step {step}\n")
            os._exit(1)

    def describe(self) -> dict[str, Any]:
        names = {"none": "DDP", "full": "FSDP FULL_SHARD", "hybrid": "FSDP HYBRID_SHARD",
                 "auto": "DDP or FSDP (auto, not decided yet)"}
        facts = {"world_size": self.world_size, "workers_per_node": self.local_world_size,
                 "sharding": self.sharding, "parallelism": names[self.sharding]}
        if not self.fused_optimizer:
            facts["optimizer"] = "AdamW (for-each: FSDP's sharded parameters)"
        return facts


def resolve_sharding(requested: str, n_params: int, device_bytes: int | None, world_size: int,
                     local_world_size: int, stage: str) -> str:
    """`auto`: DDP while the training state (16 bytes per parameter) fits HEADROOM of a device;
    else FSDP, hybrid when one node's devices hold it (all-gathers stay on the node), else full.
    A request that cannot fit even fully sharded fails here, before training starts."""
    if device_bytes is None:  # CPU workers: host memory, no per-device limit to plan for
        return "none" if requested == "auto" else requested
    need = n_params * STATE_BYTES_PER_PARAM
    budget = device_bytes * HEADROOM
    if need / world_size > budget:
        raise ValueError(
            f"stage {stage}: ~{need / 2**30:.1f} GiB of training state (weights, gradients, AdamW) "
            f"is {need / world_size / 2**30:.1f} GiB per device even fully sharded over "
            f"{world_size} workers, more than {HEADROOM:.0%} of a device's "
            f"{device_bytes / 2**30:.0f} GiB: ask for more GPUs, use LoRA, or a smaller model")
    if requested != "auto":
        return requested
    if need <= budget:
        return "none"
    multi_node = local_world_size < world_size
    return "hybrid" if multi_node and need / local_world_size <= budget else "full"


def without_tied_copies(model: Any, state: dict[str, Any]) -> dict[str, Any]:
    """A gathered state dict holds tied weights (GPT-2's lm_head = wte) as separate tensors,
    which save_pretrained cannot recognise as one: keep the first name, as it would."""
    first: dict[int, str] = {}
    for name, param in model.named_parameters(remove_duplicate=False):
        if first.setdefault(id(param), name) != name:
            state.pop(name, None)
    return state


def _blocks_of(model: Any) -> list[Any]:
    """The repeated transformer blocks (GPT-2 `h`, OPT `layers`, Llama `layers`): FSDP units."""
    import torch
    for module in model.modules():
        if isinstance(module, torch.nn.ModuleList) and len(module) > 0:
            return list(module)
    return []


def _optimizer_names(model: Any, opt: Any) -> list[str]:
    """The parameter names of the optimiser's parameters, in its order (what
    opt.state_dict() numbers 0, 1, 2 ...); DDP's `module.` prefix removed."""
    names = {id(p): n.removeprefix("module.") for n, p in model.named_parameters()}
    return [names[id(p)] for group in opt.param_groups for p in group["params"]]


def _by_name(osd: dict[str, Any], names: list[str]) -> dict[str, Any]:
    return {"state": {names[i]: s for i, s in osd["state"].items()},
            "param_groups": [{**g, "params": [names[i] for i in g["params"]]} for g in osd["param_groups"]]}


def _by_position(osd: dict[str, Any], names: list[str]) -> dict[str, Any]:
    index = {n: i for i, n in enumerate(names)}
    return {"state": {index[n]: s for n, s in osd["state"].items()},
            "param_groups": [{**g, "params": [index[n] for n in g["params"]]} for g in osd["param_groups"]]}
