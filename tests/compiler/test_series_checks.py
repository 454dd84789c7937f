"""Compile-time checks of series summaries on a real spec (data sources only): a key
position summarised with BCa is warned about at its interval; declared percentile is not."""
from specc.compiler import compile_spec

SPEC = """\
specc: 1
name: series
title: t
question: q
data:
  dyn: {{csv: dyn.csv}}
  humans: {{csv: humans.csv}}
hypotheses:
  H1:
    statement: s
    measure: argmax(pearson(dyn.acc by UID, humans.agreement by UID) per checkpoint)
    expect: "< 64"
{interval}"""


def _compile(tmp_path, interval=""):
    (tmp_path / "dyn.csv").write_text("checkpoint,UID,acc\n" + "".join(
        f"{c},u{u},{(u * c) % 7}\n" for c in (1, 2, 4) for u in range(5)))
    (tmp_path / "humans.csv").write_text("UID,agreement\n" + "".join(f"u{u},{u}\n" for u in range(5)))
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(interval=interval))
    return compile_spec(spec)


def test_bca_on_a_key_position_is_warned_about(tmp_path):
    (warning,) = _compile(tmp_path).warnings
    assert warning.message.startswith("hypotheses.H1.interval: argmax gives a key value")
    assert warning.hint == "declare interval: {method: percentile}"
    assert (warning.line, warning.col) == (9, 3)      # H1: no interval was written


def test_a_percentile_interval_is_not_warned_about(tmp_path):
    plan = _compile(tmp_path, "    interval: {method: percentile}\n")
    assert plan.warnings == []
    assert plan.hypotheses["H1"].series.key.text == "checkpoint" and plan.hypotheses["H1"].unit == "UID"


def test_a_key_position_inside_a_summary_is_warned_about_too(tmp_path):
    """max(first_reaching(...) per model) takes few values as well."""
    spec = _compile(tmp_path).path   # writes the data files
    text = open(spec).read().replace(
        "argmax(pearson(dyn.acc by UID, humans.agreement by UID) per checkpoint)",
        "max(first_reaching(mean(dyn.acc) per checkpoint, level=2) per UID)").replace(
        'expect: "< 64"', 'expect: "< 64"\n    interval: {unit: UID}')
    open(spec, "w").write(text)
    (warning,) = compile_spec(spec).warnings
    assert warning.message.startswith("hypotheses.H1.interval: first_reaching gives a key value")
