"""Deviations from the lock, field by field, and which hypotheses they demote."""
from lock_helpers import COMMIT, NOW, compiled

from specc.prereg.deviations import demoted, deviations, readers
from specc.prereg.lock import freeze


def _frozen(tmp_path):
    plan = compiled(tmp_path)
    return freeze(plan, plan.path, now=NOW, commit=COMMIT)


def _by_path(devs):
    return {d.path: d for d in devs}


def test_unchanged_spec_has_no_deviations(tmp_path):
    lock = _frozen(tmp_path)
    assert deviations(lock, compiled(tmp_path)) == []
    assert demoted(lock, compiled(tmp_path)) == {}


def test_editing_expect_after_freezing_makes_it_exploratory(tmp_path):
    lock = _frozen(tmp_path)
    plan = compiled(tmp_path, ('expect: "> 0.5"', 'expect: "> 0.6"'))
    [dev] = deviations(lock, plan)
    assert dev.path == "hypotheses.H1.expect"
    assert (dev.locked, dev.now) == ("> 0.5", "> 0.6")
    assert dev.effect == "H1 reported as exploratory" and dev.demotes == ("H1",)
    assert dev.to_dict() == {"path": "hypotheses.H1.expect", "locked": "> 0.5", "now": "> 0.6",
                             "effect": "H1 reported as exploratory"}
    assert demoted(lock, plan) == {"H1": "hypotheses.H1.expect changed after pre-registration"}


def test_nested_interval_edit_has_a_dotted_path(tmp_path):
    lock = _frozen(tmp_path)
    plan = compiled(tmp_path, ("interval: {unit: condition}", "interval: {unit: condition, level: 0.9}"))
    [dev] = deviations(lock, plan)
    assert dev.path == "hypotheses.H1.interval.level" and (dev.locked, dev.now) == (0.95, 0.9)
    assert dev.demotes == ("H1",)


def test_wording_is_listed_but_does_not_demote(tmp_path):
    lock = _frozen(tmp_path)
    plan = compiled(tmp_path, ("Values are positive.", "Every value is positive."))
    [dev] = deviations(lock, plan)
    assert dev.path == "hypotheses.H1.statement" and "wording" in dev.effect and dev.demotes == ()
    assert demoted(lock, plan) == {}


def test_added_and_dropped_hypotheses(tmp_path):
    lock = _frozen(tmp_path)
    added = ("decision:", ("  H3:\n    statement: New.\n    measure: mean(other.value)\n"
                           "    expect: \"> 0\"\n    interval: {method: none}\n    test: {method: t}\n"
                           "decision:"))
    dropped = (("  H2:\n    statement: The other value is big.\n    measure: mean(other.value)\n"
                "    expect: \">= 1\"\n    interval: {method: none}\n    test: {method: t}\n"), "")
    plan = compiled(tmp_path, added, dropped)
    devs = _by_path(deviations(lock, plan))
    assert set(devs) == {"hypotheses.H2", "hypotheses.H3"}
    assert devs["hypotheses.H2"].effect == "H2 dropped after pre-registration"
    assert devs["hypotheses.H2"].now is None and devs["hypotheses.H2"].locked["expect"] == ">= 1"
    assert devs["hypotheses.H3"].effect == "H3 reported as exploratory (added after pre-registration)"
    assert devs["hypotheses.H3"].locked is None
    assert demoted(lock, plan) == {"H3": "added after pre-registration"}


def test_an_added_exploratory_hypothesis_is_listed_only(tmp_path):
    lock = _frozen(tmp_path)
    plan = compiled(tmp_path, ("decision:", ("  H3:\n    statement: New.\n    kind: exploratory\n"
                                             "    measure: mean(other.value)\n    expect: \"> 0\"\n"
                                             "    interval: {method: none}\ndecision:")))
    [dev] = deviations(lock, plan)
    assert dev.effect == "H3 added after pre-registration (exploratory)" and dev.demotes == ()


def test_promoting_an_exploratory_hypothesis_demotes_it(tmp_path):
    plan = compiled(tmp_path, ("    statement: The other value is big.\n",
                               "    statement: The other value is big.\n    kind: exploratory\n"))
    lock = freeze(plan, plan.path, now=NOW, commit=COMMIT)
    [dev] = deviations(lock, compiled(tmp_path))
    assert dev.path == "hypotheses.H2.kind" and dev.demotes == ("H2",)


def test_a_decision_change_demotes_every_confirmatory_hypothesis(tmp_path):
    lock = _frozen(tmp_path)
    plan = compiled(tmp_path, ("correction: holm", "correction: bonferroni"))
    [dev] = deviations(lock, plan)
    assert dev.path == "decision.correction" and (dev.locked, dev.now) == ("holm", "bonferroni")
    assert dev.demotes == ("H1", "H2")
    assert set(demoted(lock, plan)) == {"H1", "H2"}


def test_a_stage_param_change_is_listed_not_demoting(tmp_path):
    lock = _frozen(tmp_path)
    plan = compiled(tmp_path, ("value: 3", "value: 4"))
    [dev] = deviations(lock, plan, readers(plan))
    assert dev.path == "stages.other.value" and (dev.locked, dev.now) == (3, 4)
    assert dev.demotes == () and "H2" in dev.effect and "H1" not in dev.effect
    assert demoted(lock, plan, readers(plan)) == {}
    [plain] = deviations(lock, plan)  # without readers: still listed
    assert plain.demotes == () and "design change" in plain.effect


def test_a_profile_deviates_from_the_lock(tmp_path):
    lock = _frozen(tmp_path)
    smoke = compiled(tmp_path, profile="smoke")
    devs = _by_path(deviations(lock, smoke, readers(smoke)))
    assert set(devs) == {"conditions.x", "hypotheses.H2.expect"}
    assert (devs["conditions.x"].locked, devs["conditions.x"].now) == ([1, 2], [1])
    assert devs["conditions.x"].demotes == () and "H1" in devs["conditions.x"].effect
    assert demoted(lock, smoke) == {"H2": "hypotheses.H2.expect changed after pre-registration"}


def test_readers_follow_stages_upstream(tmp_path):
    plan = compiled(tmp_path, ("  other:\n    op: tiny.value\n    value: 3\n",
                               "  other:\n    op: tiny.sum\n    of: values\n"),
                    ("mean(other.value)", "mean(other.total)"))
    r = readers(plan)
    assert r["stages.values"] == {"H1", "H2"} and r["stages.other"] == {"H2"}
    assert r["conditions.x"] == {"H1", "H2"} and r["seed"] == {"H1", "H2"}


def test_a_resources_change_is_listed_as_resources(tmp_path):
    lock = _frozen(tmp_path)
    plan = compiled(tmp_path, ("value: 3", "value: 3\n    resources: {cpus: 2}"))
    [dev] = deviations(lock, plan, readers(plan))
    assert dev.path == "stages.other.resources.cpus" and dev.demotes == ()
    assert dev.effect == "resources: where it runs, not what it computes"


def test_a_limited_data_reference_reads_its_source():
    # the flagship's smoke profile scores `binomials[sample:600]`: every hypothesis reads it
    from pathlib import Path

    from specc.compiler import compile_spec
    spec = Path(__file__).parents[2] / "specs" / "training-dynamics.yaml"
    plan = compile_spec(spec, profile="smoke")
    assert plan.spec.stages["score"].params["items"] == "binomials[sample:600]"
    assert readers(plan)["data.binomials"] == set(plan.spec.hypotheses)


def test_an_empty_default_in_an_older_lock_is_no_deviation(tmp_path):
    """A lock frozen before empty defaults left the locked content still holds `over: []`;
    the spec has not changed, so nothing deviates. A non-empty value that disappears does."""
    lock = _frozen(tmp_path)
    older = {**lock.content, "stages": {**lock.content["stages"],
                                        "other": {**lock.content["stages"]["other"], "over": []}}}
    assert deviations({"content": older}, compiled(tmp_path)) == []
    older["stages"]["other"]["over"] = ["x"]
    assert [d.path for d in deviations({"content": older}, compiled(tmp_path))] == ["stages.other.over"]
