"""draw(): every figure kind becomes a valid PNG, the same dict the same bytes, and the
caller's matplotlib state is left as it was."""
from __future__ import annotations

import struct

import matplotlib
import pytest
from specc.report.figures import DPI, SIZE, draw

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

CURVE = {"kind": "curve", "x": "checkpoint", "ylabel": "mean score.correct", "threshold": 0.5,
         "series": [{"label": "model=tiny", "x": [100, 200, 300], "y": [0.5, 0.6, 0.7],
                     "low": [0.45, 0.55, None], "high": [0.55, 0.65, None]},
                    {"label": "model=small", "x": [100, 200, 300], "y": [0.52, None, 0.75],
                     "low": [0.5, None, 0.7], "high": [0.54, None, 0.8]}]}
LAYERS = {"kind": "layers", "x": "layer", "ylabel": "mean probe.correct", "threshold": None,
          "series": [{"label": "all", "x": [0, 1, 2], "y": [0.5, 0.7, 0.9], "low": [0.4, 0.6, 0.8],
                      "high": [0.6, 0.8, 1.0]}]}
BARS = {"kind": "bars", "x": None, "ylabel": "mean steer.diff", "threshold": 0.0,
        "series": [{"label": "mean steer.diff", "x": ["model=a", "model=b|c"], "y": [0.3, -0.1],
                    "low": [None, -0.3], "high": [None, 0.1]}]}

ARMS = {"kind": "arms", "x": "arm", "ylabel": "mean ppl.nll_per_token", "threshold": None,
        "series": [{"label": "arm mean", "x": ['upstream == "sft"', 'upstream == "sft_noreplay"'],
                    "y": [4.01, 4.06], "low": [3.93, 3.98], "high": [4.09, 4.14]}],
        "difference": {"label": 'upstream == "sft" − upstream == "sft_noreplay"', "n": 200, "mean": -0.053,
                       "ci_low": -0.059, "ci_high": -0.047, "level": 0.95,
                       "interval": "paired t over 200 doc means", "threshold": 0.0, "threshold_upper": None}}


SCATTER = {"kind": "scatter", "x": "score.correct", "ylabel": "humans.total_mean", "threshold": None,
           "series": [{"label": "one point per UID", "x": [0.8, 0.6, 0.7], "y": [0.9, 0.7, 0.85],
                       "keys": ["a", "b", "c"]}], "fit": [1.0, 0.1]}


SERIES = {"kind": "series", "x": "tokens", "ylabel": "pearson", "threshold": None, "x_threshold": 40000,
          "series": [{"label": "pearson(s.x by item, h.y by item) per tokens", "x": [1000, 4000, 16000, 64000],
                      "y": [0.2, 0.55, 0.7, None], "low": [0.0, 0.4, 0.6, None], "high": [0.4, 0.7, 0.8, None]}],
          "marks": [{"x": 4000, "y": 0.55, "label": "first to reach the level: tokens = 4000", "series": 0}],
          "lines": [{"y": 0.5, "label": "level 0.5", "series": 0}]}
SERIES_BY_CONDITION = {
    "kind": "series", "x": "condition", "ylabel": "value at each key", "threshold": None, "x_threshold": None,
    "series": [{"label": "mean(p.a by seed) per condition", "x": ["A", "B", "C"], "y": [0.1, 0.5, 0.9],
                "low": [0.0, 0.4, 0.8], "high": [0.2, 0.6, 1.0]},
               {"label": "std(p.a by seed) per condition", "x": ["A", "B", "C"], "y": [0.1, 0.08, 0.12],
                "low": [None, None, None], "high": [None, None, None]}],
    "marks": [{"x": "C", "y": 0.9, "label": "largest", "series": 0}, {"x": "A", "y": 0.1, "label": "smallest",
                                                                        "series": 0}],
    "lines": [{"y": 0.1, "label": "median of the series = 0.1", "series": 1}]}


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("figure", [CURVE, LAYERS, BARS, ARMS, SCATTER, SERIES, SERIES_BY_CONDITION],
                         ids=["curve", "layers", "bars", "arms", "scatter", "series", "series-by-condition"])
def test_each_kind_is_a_png_of_the_fixed_size(tmp_path, figure):
    path = draw(figure, tmp_path / "sub" / "f.png")
    data = path.read_bytes()
    assert png_size(data) == (round(SIZE[0] * DPI), round(SIZE[1] * DPI))
    assert data.endswith(b"IEND\xaeB`\x82")
    assert b"Software" not in data and b"matplotlib" not in data  # no version stamped in


def test_same_figure_same_bytes(tmp_path):
    assert draw(CURVE, tmp_path / "a.png").read_bytes() == draw(CURVE, tmp_path / "b.png").read_bytes()


def test_no_global_matplotlib_state_changes(tmp_path):
    import sys
    before = dict(matplotlib.rcParams)
    with matplotlib.rc_context({"lines.linewidth": 7.0}):
        draw(BARS, tmp_path / "a.png")
        assert matplotlib.rcParams["lines.linewidth"] == 7.0
    assert dict(matplotlib.rcParams) == before
    # pyplot keeps figures alive in a registry; a report must not fill it
    if "matplotlib.pyplot" in sys.modules:
        assert sys.modules["matplotlib.pyplot"].get_fignums() == []


def test_long_legend_labels_are_wrapped_short_ones_kept():
    from specc.report.figures import LEGEND_WIDTH, legend_labels
    long = "pearson(score.diff by UID where one_prefix_method == false and model == 'm', h.y by C) per checkpoint"
    wrapped, short = legend_labels([long, "peak: checkpoint = 10"])
    assert short == "peak: checkpoint = 10"
    assert "\n" in wrapped and max(len(line) for line in wrapped.splitlines()) <= LEGEND_WIDTH
    assert wrapped.replace("\n", " ") == long


def test_a_between_expect_is_drawn_as_a_shaded_range_with_both_bounds():
    """`between a and b` is the range, not a line at a (which reads as `>= a`)."""
    from matplotlib.figure import Figure

    from specc.report.figures import _expected

    ax = Figure().add_subplot()
    _expected(ax, 4, 12, ax.axvline, ax.axvspan, "checkpoint ")
    assert sorted(line.get_xdata()[0] for line in ax.lines) == [4, 12]
    (span,) = ax.patches
    assert (span.get_x(), span.get_x() + span.get_width()) == (4, 12)
    assert span.get_label() == "expected: checkpoint between 4 and 12"

    ax = Figure().add_subplot()
    _expected(ax, 0.5, None, ax.axhline, ax.axhspan, "")
    assert [line.get_ydata()[0] for line in ax.lines] == [0.5] and not ax.patches


def test_arms_are_points_on_an_axis_fitted_to_them_beside_their_difference():
    """Bars from 0 hid a small paired difference between two means near 4 (finetune-methods H3):
    the arms are points whose axis is not stretched to 0, and the difference has its own axis
    with 0 and the expected threshold."""
    from matplotlib.figure import Figure

    from specc.report.figures import _arms

    fig = Figure()
    ax = _arms(fig, ARMS)
    assert not ax.patches                        # no bars
    assert ax.get_ylim()[0] > 3.5                # not forced down to 0
    assert [t.get_text() for t in ax.get_xticklabels()] == ['upstream == "sft"', 'upstream == "sft_noreplay"']
    (right,) = [a for a in fig.axes if a is not ax]
    low, high = right.get_ylim()
    assert low < -0.059 and high >= 0.0          # the interval and 0 both in view
    assert "threshold: 0" in right.get_legend_handles_labels()[1]
    assert right.get_xlabel() == "paired t over 200 doc\nmeans"

    fig = Figure()
    _arms(fig, {**ARMS, "difference": None})
    assert len(fig.axes) == 1                    # arithmetic over means: the arms alone
