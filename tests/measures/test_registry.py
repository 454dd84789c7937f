"""The measure-function registry: signatures the compiler checks calls against."""
import pytest

from specc.compiler.measure import MEASURE_FUNCTIONS, MeasureFunction
from specc.registry import UnknownName


def test_registered_names_and_kinds():
    aggregates = {"mean", "median", "sum", "count", "std", "min", "max", "range", "argmax", "argmin",
                  "first_reaching"}
    statistics = {"pearson", "spearman", "kendall", "diff_means", "cohens_d",
                  "accuracy_vs_chance", "variance_ratio", "icc1", "permutation_p"}
    assert set(MEASURE_FUNCTIONS) == aggregates | statistics
    for name, fn in MEASURE_FUNCTIONS.items():
        assert fn.name == name and fn.doc
        assert fn.kind == ("aggregate" if name in aggregates else "statistic")


@pytest.mark.parametrize("name, signature", [
    ("mean", "mean(column)"),
    ("spearman", "spearman(column, column)"),
    ("accuracy_vs_chance", "accuracy_vs_chance(column, chance=<number>)"),
    ("variance_ratio", "variance_ratio(column, between=<column>, within=<column>)"),
    ("icc1", "icc1(column, between=<column>, within=<column>)"),
    ("permutation_p", "permutation_p(column, column, [n=<number>])"),
])
def test_signatures(name, signature):
    assert MEASURE_FUNCTIONS.get(name).signature() == signature


def test_paired_statistics_join_on_keys():
    assert {n for n, f in MEASURE_FUNCTIONS.items() if f.paired} == {"pearson", "spearman", "kendall"}


def test_registry_is_frozen():
    with pytest.raises(RuntimeError, match="frozen"):
        MEASURE_FUNCTIONS.register("mode", MeasureFunction("mode", 1, 1, "aggregate", "Mode."))


def test_unknown_name_hint():
    with pytest.raises(UnknownName) as info:
        MEASURE_FUNCTIONS.get("spearmn")
    assert "did you mean 'spearman'" in info.value.hint


def test_entries_are_hashable_and_immutable():
    fn = MEASURE_FUNCTIONS.get("variance_ratio")
    assert hash(fn) == hash(MEASURE_FUNCTIONS.get("variance_ratio"))
    with pytest.raises(AttributeError):
        fn.min_args = 2  # type: ignore[misc]


def test_each_function_says_which_tests_and_intervals_apply():
    fns = dict(MEASURE_FUNCTIONS.items())
    assert {n for n, f in fns.items() if "fisher_z" in f.intervals} == {"pearson", "spearman", "kendall"}
    assert {n for n, f in fns.items() if "binomial" in f.tests} == {"mean", "accuracy_vs_chance"}
    assert {n for n, f in fns.items() if f.sample == "two"} == {"diff_means", "cohens_d"}
    assert fns["permutation_p"].intervals == () and fns["permutation_p"].no_interval
    assert all(f.evaluate is not None for f in fns.values())


@pytest.mark.parametrize("name, threshold, null", [
    ("mean", 0.5, 0.5), ("diff_means", 0.1, 0.1), ("cohens_d", 0.2, 0.0), ("spearman", 0.3, 0.0),
])
def test_the_null_of_a_declared_test(name, threshold, null):
    assert MEASURE_FUNCTIONS.get(name).null_value(None, threshold) == null


def test_accuracy_vs_chance_tests_accuracies_against_threshold_plus_chance():
    from specc.compiler.measure import parse_measure
    call = parse_measure("accuracy_vs_chance(mc.correct, chance=0.25)").expr
    assert MEASURE_FUNCTIONS.get("accuracy_vs_chance").null_value(call, 0.1) == pytest.approx(0.35)
