"""A task on N workers must fit the cluster as a group (all its workers, and gpus_per_node
of them on each of its nodes) before anything starts; its actor reserves nothing itself."""
from __future__ import annotations

import pytest

from specc.runtime.cluster import Infeasible, Shape, check_feasible

GIB = 2**30
NODE8 = {"GPU": 8.0, "CPU": 64.0, "memory": 512.0 * GIB}
NODE4 = {"GPU": 4.0, "CPU": 32.0, "memory": 256.0 * GIB}


def test_a_group_counts_every_worker_and_its_actor_reserves_nothing():
    group = Shape(1.0, 4.0, 16 * GIB, workers=8)
    assert group.total == {"GPU": 8.0, "CPU": 32.0, "memory": 128.0 * GIB}
    assert group.ray_options() == {"num_gpus": 0, "num_cpus": 0}  # Ray Train's workers hold the GPUs
    assert Shape(1.0, 4.0, None).ray_options() == {"num_gpus": 1.0, "num_cpus": 4.0}
    assert group.describe() == "8 workers of 1 GPU, 4 CPU, 16 GiB"


def test_workers_may_span_nodes():
    check_feasible({"pretrain": Shape(1.0, 4.0, None, workers=12)}, [NODE8, NODE4])  # 8 + 4


def test_more_workers_than_the_cluster_has_fails_naming_the_stage():
    with pytest.raises(Infeasible, match=r"stage pretrain needs 16 workers of 1 GPU, 4 CPU per task: the "
                                         r"cluster does not have room for that many workers on all nodes"):
        check_feasible({"pretrain": Shape(1.0, 4.0, None, workers=16)}, [NODE8, NODE4])


def test_gpus_per_node_needs_that_many_free_on_enough_nodes():
    check_feasible({"sft": Shape(1.0, 4.0, None, workers=8, gpus_per_node=4)}, [NODE8, NODE4])
    with pytest.raises(Infeasible, match=r"stage sft needs .*, 8 per node per task: the cluster does not "
                                         r"have 2 nodes with room for 8 workers each"):
        check_feasible({"sft": Shape(1.0, 4.0, None, workers=16, gpus_per_node=8)}, [NODE8, NODE4])


def test_per_worker_cpus_and_memory_limit_a_node_too():
    with pytest.raises(Infeasible, match="stage pretrain"):  # 8 GPUs but room for 2 x 200 GiB workers
        check_feasible({"pretrain": Shape(1.0, 1.0, 200 * GIB, workers=8)}, [NODE8])


def test_cpu_workers():
    check_feasible({"pretrain": Shape(0.0, 1.0, None, workers=2)}, [{"CPU": 2.0, "memory": GIB}])
    with pytest.raises(Infeasible):
        check_feasible({"pretrain": Shape(0.0, 1.0, None, workers=3)}, [{"CPU": 2.0, "memory": GIB}])
