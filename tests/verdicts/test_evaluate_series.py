"""Series (`<expr> per key`) and their summaries, against numpy/scipy/pandas on known
tables: the estimate, a materialised bootstrap resample, and the nested follow-up ratio."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from specc.compiler.measure import parse_measure
from specc.verdicts import FrameTables, MeasureEvalError, PreparedMeasure

CHECKPOINTS = [100, 200, 400, 800, 1600]
N_ITEMS = 24


@pytest.fixture(scope="module")
def frames():
    """Model preferences per item at five checkpoints (tokens = 1000 x checkpoint), growing
    more aligned with a human reference table (one row per item, no checkpoint)."""
    rng = np.random.default_rng(5)
    human = rng.normal(size=N_ITEMS)
    rows = []
    for k, cp in enumerate(CHECKPOINTS):
        for item in range(N_ITEMS):
            for prompt in range(2):
                rows.append({"checkpoint": cp, "tokens": cp * 1000, "item": item, "prompt": prompt,
                             "pref": human[item] * k / 3 + rng.normal(), "acc": rng.random()})
    score = pd.DataFrame(rows)
    humans = pd.DataFrame({"item": range(N_ITEMS), "pref": human})
    return {"score": score, "humans": humans}


def _tables(frames):
    return FrameTables(frames, {"score": ("checkpoint",)})


def _curve(score, humans, method="pearson", key="checkpoint"):
    """The per-key correlation of item means with the human table, by pandas and scipy."""
    fn = {"pearson": stats.pearsonr, "spearman": stats.spearmanr}[method]
    out = {}
    for value, rows in score.groupby(key):
        means = rows.groupby("item").pref.mean()
        joined = pd.concat([means, humans.set_index("item").pref], axis=1, join="inner")
        out[value] = fn(joined.iloc[:, 0], joined.iloc[:, 1]).statistic
    return pd.Series(out).sort_index()


def _first(curve: pd.Series, level: float) -> float:
    hit = curve[curve >= level]
    return float(hit.index[0]) if len(hit) else float("nan")


CORR = "pearson(score.pref by item, humans.pref by item)"
CASES = [
    (f"max({CORR} per checkpoint)", lambda c: c.max()),
    (f"min({CORR} per checkpoint)", lambda c: c.min()),
    (f"mean({CORR} per checkpoint)", lambda c: c.mean()),
    (f"median({CORR} per checkpoint)", lambda c: c.median()),
    (f"std({CORR} per checkpoint)", lambda c: c.std(ddof=1)),
    (f"range({CORR} per checkpoint)", lambda c: np.ptp(c.to_numpy())),
    (f"argmax({CORR} per checkpoint)", lambda c: c.idxmax()),
    (f"argmin({CORR} per checkpoint)", lambda c: c.idxmin()),
    (f"first_reaching({CORR} per tokens, level=0.5)", lambda c: _first(c, 0.5)),
    (f"first_reaching({CORR} per tokens, level=0.99)", lambda c: _first(c, 0.99)),
]


@pytest.mark.parametrize("text, summary", CASES)
def test_summaries_of_a_correlation_per_checkpoint(frames, text, summary):
    key = "tokens" if "per tokens" in text else "checkpoint"
    curve = _curve(frames["score"], frames["humans"], key=key)
    got = PreparedMeasure(parse_measure(text), _tables(frames), "item").estimate()
    assert got == pytest.approx(float(summary(curve)), rel=1e-12, nan_ok=True)


def test_the_curve_reaches_half_then_the_level_is_passed_by_a_later_checkpoint(frames):
    """Sanity of the fixture: the correlation grows, so first_reaching is a middle checkpoint."""
    curve = _curve(frames["score"], frames["humans"], key="tokens")
    assert curve.iloc[0] < 0.5 <= curve.iloc[-1]


def test_spearman_per_checkpoint_and_a_filter_inside_the_series(frames):
    score = frames["score"]
    text = "argmax(spearman(score.pref by item where prompt == 0, humans.pref by item) per checkpoint)"
    want = _curve(score[score.prompt == 0], frames["humans"], "spearman").idxmax()
    assert PreparedMeasure(parse_measure(text), _tables(frames), "item").estimate() == want


def test_an_enclosing_where_filters_the_series_keys(frames):
    text = f"max({CORR} per checkpoint) where score.checkpoint < 800"
    score = frames["score"]
    want = _curve(score[score.checkpoint < 800], frames["humans"]).max()
    assert PreparedMeasure(parse_measure(text), _tables(frames), "item").estimate() == pytest.approx(want)


def test_arithmetic_of_calls_inside_a_series(frames):
    """`mean(a) - mean(b) per checkpoint`: the whole expression per slice."""
    text = "max(mean(score.pref where prompt == 0) - mean(score.pref where prompt == 1) per checkpoint)"
    s = frames["score"]
    g = s.groupby(["checkpoint", "prompt"]).pref.mean().unstack()
    want = (g[0] - g[1]).max()
    assert PreparedMeasure(parse_measure(text), _tables(frames), "item").estimate() == pytest.approx(want)


def test_an_absolute_gap_per_checkpoint(frames):
    text = "argmax(abs(mean(score.pref where prompt == 0) - mean(score.pref where prompt == 1)) per checkpoint)"
    g = frames["score"].groupby(["checkpoint", "prompt"]).pref.mean().unstack()
    want = (g[0] - g[1]).abs().idxmax()
    assert PreparedMeasure(parse_measure(text), _tables(frames), "item").estimate() == want


@pytest.mark.parametrize("text, summary", [CASES[0], CASES[4], CASES[6], CASES[8]])
def test_a_resample_equals_the_series_on_the_materialised_resample(frames, text, summary):
    """One bootstrap draw of items, as weights, equals the series recomputed by pandas/scipy
    on the rows it repeats (each copy of an item a distinct item; humans are not resampled
    and join every copy)."""
    key = "tokens" if "per tokens" in text else "checkpoint"
    prepared = PreparedMeasure(parse_measure(text), _tables(frames), "item")
    rng = np.random.default_rng(11)
    draw = rng.choice(N_ITEMS, size=N_ITEMS, replace=True)
    index = {v: i for i, v in enumerate(prepared.units.index)}
    W = np.zeros((1, prepared.n_units))
    for item in draw:
        W[0, index[item]] += 1
    score, humans = frames["score"], frames["humans"].set_index("item")
    copies = pd.concat([score[score.item == item].assign(item=f"{item}#{k}") for k, item in enumerate(draw)])
    human_copies = pd.DataFrame({"item": [f"{item}#{k}" for k, item in enumerate(draw)],
                                 "pref": [humans.pref[item] for item in draw]})
    curve = _curve(copies, human_copies, key=key)
    assert prepared.evaluate(W)[0] == pytest.approx(float(summary(curve)), rel=1e-9, nan_ok=True)


# -- nested summaries: the follow-up study's variance ratio ------------------------------

@pytest.fixture(scope="module")
def followup():
    """5 conditions x 8 seeds x 30 items of an alignment score."""
    rng = np.random.default_rng(8)
    rows = []
    for c, shift in zip("ABCDE", [0.0, 0.3, 0.1, 0.6, 0.2]):
        for seed in range(8):
            offset = rng.normal(scale=0.2)
            for item in range(30):
                rows.append({"condition": c, "seed": seed, "item": item,
                             "alignment": shift + offset + rng.normal(scale=0.5)})
    return pd.DataFrame(rows)


RATIO = ("range(mean(post.alignment by seed) per condition) / "
         "median(std(post.alignment by seed) per condition)")


def _ratio(frame):
    seed_means = frame.groupby(["condition", "seed"]).alignment.mean()
    by_condition = seed_means.groupby(level="condition")
    return np.ptp(by_condition.mean().to_numpy()) / np.median(by_condition.std(ddof=1).to_numpy())


def test_the_variance_ratio_is_range_of_means_over_median_within_std(followup):
    tables = FrameTables({"post": followup}, {"post": ("condition", "seed")})
    got = PreparedMeasure(parse_measure(RATIO), tables, "seed").estimate()
    assert got == pytest.approx(_ratio(followup), rel=1e-12)


def test_the_variance_ratio_resamples_seeds_in_every_condition(followup):
    """Unit seed: a draw of seeds repeats that seed's rows in every condition (the seeds are
    shared labels across conditions); equal to pandas on the materialised rows."""
    tables = FrameTables({"post": followup}, {"post": ("condition", "seed")})
    prepared = PreparedMeasure(parse_measure(RATIO), tables, "seed")
    draw = [0, 0, 3, 5, 5, 5, 6, 7]
    index = {v: i for i, v in enumerate(prepared.units.index)}
    W = np.zeros((1, prepared.n_units))
    for seed in draw:
        W[0, index[seed]] += 1
    copies = pd.concat([followup[followup.seed == s].assign(seed=f"{s}#{k}") for k, s in enumerate(draw)])
    assert prepared.evaluate(W)[0] == pytest.approx(_ratio(copies), rel=1e-9)


def test_a_series_per_unit_counts_each_unit_as_often_as_it_is_drawn(followup):
    """`mean(... per seed)` resampled over seeds: each slice is one unit, so a seed drawn
    twice counts twice and a seed not drawn is left out (like a `by` group)."""
    tables = FrameTables({"post": followup}, {"post": ("condition", "seed")})
    text = "median(std(post.alignment by condition) per seed)"
    prepared = PreparedMeasure(parse_measure(text), tables, "seed")
    per_seed = followup.groupby(["seed", "condition"]).alignment.mean().groupby(level="seed").std()
    assert prepared.estimate() == pytest.approx(per_seed.median())
    draw = [1, 1, 1, 2, 4, 4, 6, 7]
    index = {v: i for i, v in enumerate(prepared.units.index)}
    W = np.zeros((1, prepared.n_units))
    for seed in draw:
        W[0, index[seed]] += 1
    assert prepared.evaluate(W)[0] == pytest.approx(np.median(per_seed[draw].to_numpy()))


def test_nested_series(followup):
    """A series inside a series: the largest, over conditions, of the within-condition
    argmax of seed means (per seed inside per condition)."""
    tables = FrameTables({"post": followup}, {"post": ("condition", "seed")})
    text = "max(argmax(mean(post.alignment) per seed) per condition)"
    want = followup.groupby(["condition", "seed"]).alignment.mean().groupby(level="condition") \
        .idxmax().map(lambda k: k[1]).max()
    assert PreparedMeasure(parse_measure(text), tables, "item").estimate() == want


def test_a_key_that_no_table_has_is_an_error(frames):
    with pytest.raises(MeasureEvalError, match="no table it reads .* has a column 'layer'"):
        PreparedMeasure(parse_measure(f"max({CORR} per layer)"), _tables(frames), "item")


def test_argmax_per_a_text_key_is_an_error(followup):
    tables = FrameTables({"post": followup}, {"post": ("condition", "seed")})
    with pytest.raises(MeasureEvalError, match="must be numeric"):
        PreparedMeasure(parse_measure("argmax(mean(post.alignment) per condition)"), tables, "item").estimate()


def test_a_slice_that_cannot_be_computed_names_its_key(frames):
    score = frames["score"]
    few = score[(score.checkpoint != 200) | (score.item < 2)]
    tables = FrameTables({"score": few, "humans": frames["humans"]}, {"score": ("checkpoint",)})
    with pytest.raises(MeasureEvalError, match=r"at checkpoint == 200: .*only 2 joined pairs"):
        PreparedMeasure(parse_measure(f"max({CORR} per checkpoint)"), tables, "item")


def test_a_point_without_a_value_makes_the_summary_undefined(followup):
    """max(first_reaching(...) per condition): a condition that never reaches the level is
    not left out of the max (that would flatter the claim 'every condition reaches it')."""
    tables = FrameTables({"post": followup}, {"post": ("condition", "seed")})
    reach = "first_reaching(mean(post.alignment) per seed, level={level})"
    means = followup.groupby(["condition", "seed"]).alignment.mean()
    low = float(means.groupby(level=0).max().min()) - 0.01       # every condition reaches it
    text = f"max({reach.format(level=low)} per condition)"
    want = means[means >= low].reset_index().groupby("condition").seed.min().max()
    assert PreparedMeasure(parse_measure(text), tables, "item").estimate() == want
    high = float(means.groupby(level=0).max().min()) + 0.01      # one condition never does
    text = f"max({reach.format(level=high)} per condition)"
    assert np.isnan(PreparedMeasure(parse_measure(text), tables, "item").estimate())
