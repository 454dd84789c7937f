"""Hypothesis checks: measures name real tables and columns, thresholds parse,
gates name real hypotheses. Also the `when:` gates of stages.
"""
from __future__ import annotations

from .splits import ref_source
from .errors import Diagnostics, names_hint
from specc.measures import BOOTSTRAP

from .gates import Gate, parse_gate
from .measure import MeasureError, column_uses, parse_measure
from .thresholds import parse_expect
from .typed_hypothesis import CompiledHypothesis, compile_hypothesis

STANDARD_UNITS = ("condition",)


def table_columns(info, data, infos=None, seen: frozenset = frozenset()) -> tuple[str, ...] | None:
    """Columns of a stage's output table: the op's own, the condition axes, and
    the columns carried through from its items (None when they cannot be known).
    Items may be another stage's table (eval.judge carries eval.generate's rows)."""
    params = info.any_params
    if params is None or info.op.produces != "table":
        return None
    cols = list(info.op.columns(params)) + list(info.over)
    if info.op.carries:
        source = ref_source(str(getattr(params, info.op.carries, "") or ""))
        if infos is not None and source in infos and source not in data:
            if source in seen:
                return None   # a cycle of references: reported as such elsewhere
            upstream = table_columns(infos[source], data, infos, seen | {source})
            if upstream is None:
                return None
            cols += list(upstream)
            return tuple(dict.fromkeys(cols))
        carried = data.get(source)
        if carried is None or not carried.columns:
            return None  # hub data: columns unknown until run time
        cols += list(carried.columns)
    return tuple(dict.fromkeys(cols))


def parse_stage_gates(spec, broken: set[str], diags: Diagnostics) -> dict[str, Gate]:
    gates: dict[str, Gate] = {}
    for name, stage in spec.stages.items():
        if stage.when is None:
            continue
        gate = _gate(stage.when, ("stages", name, "when"), f"stages.{name}.when", spec, broken, diags)
        if gate is not None:
            gates[name] = gate
    return gates


def _gate(text, loc, where, spec, broken, diags) -> Gate | None:
    """The parsed gate when it parses and every hypothesis it names exists."""
    try:
        gate = parse_gate(text)
    except MeasureError as exc:
        diags.error(loc, f"{where}: {exc.message}", exc.hint, offset=exc.offset)
        return None
    ok = True
    for atom in gate.atoms:
        if atom.hypothesis not in spec.hypotheses:
            ok = False
            if atom.hypothesis not in broken:
                diags.error(loc, f"{where}: no hypothesis named {atom.hypothesis!r}",
                            names_hint(atom.hypothesis, spec.hypotheses), offset=atom.offset)
    return gate if ok else None


def check_hypotheses(spec, checked, infos, diags: Diagnostics):
    """Return (the typed hypotheses that check out, stages each hypothesis reads,
    hypotheses each one is gated on)."""
    reads: dict[str, set[str]] = {}
    gated: dict[str, set[str]] = {}
    compiled: dict[str, CompiledHypothesis] = {}
    for hid, hyp in spec.hypotheses.items():
        base = ("hypotheses", hid)
        reads[hid] = set()
        expect = gate = None
        try:
            expect = parse_expect(hyp.expect)
        except MeasureError as exc:
            diags.error(base + ("expect",), f"hypotheses.{hid}.expect: {exc.message}", exc.hint,
                        offset=exc.offset)
        if hyp.when is not None:
            gate = _gate(hyp.when, base + ("when",), f"hypotheses.{hid}.when", spec, checked.broken, diags)
            if gate is not None:
                own = next((a for a in gate.atoms if a.hypothesis == hid), None)
                if own is not None:
                    diags.error(base + ("when",), f"hypotheses.{hid}.when: a hypothesis cannot gate itself",
                                offset=own.offset)
                else:
                    gated[hid] = set(gate.hypotheses)
        try:
            measure = parse_measure(hyp.measure)
        except MeasureError as exc:
            diags.error(base + ("measure",), f"hypotheses.{hid}.measure: {exc.message}", exc.hint,
                        offset=exc.offset)
            continue
        columns_seen: set[str] = set()
        reported: set[str] = set()
        per_keys: dict[int, list] = {}   # a `per` key: a column of at least one table read
        for use in column_uses(measure):
            loc = base + ("measure",)
            cols = _source_columns(use.source, spec, checked, infos)
            if cols is _UNKNOWN_SOURCE:
                if use.source not in reported and use.source not in checked.broken:
                    reported.add(use.source)
                    everything = [*spec.data, *infos]
                    diags.error(loc, f"hypotheses.{hid}.measure: {use.source!r} is not a stage or data source",
                                names_hint(use.source, everything), offset=use.source_offset)
                continue
            if use.source in infos:
                reads[hid].add(use.source)
            if cols is _NOT_A_TABLE:
                if use.source not in reported:
                    reported.add(use.source)
                    diags.error(loc, f"hypotheses.{hid}.measure: stage {use.source!r} produces a "
                                     f"{infos[use.source].op.produces}, not a table", offset=use.source_offset)
                continue
            if cols is None:
                if use.role == "per":
                    per_keys.setdefault(use.offset, []).append(None)
                continue
            columns_seen.update(cols)
            if use.role == "per":
                per_keys.setdefault(use.offset, []).append((use, cols))
                continue
            if use.column not in cols:
                what = "stage" if use.source in infos else "data source"
                diags.error(loc, f"hypotheses.{hid}.measure: {what} {use.source!r} has no column "
                                 f"{use.column!r}", names_hint(use.column, cols), offset=use.offset)
        _check_per_keys(hid, per_keys, base, infos, diags)
        _check_methods(hid, hyp, measure, expect, base, diags)
        from .typed_hypothesis import infer_unit
        unit = hyp.interval.unit or infer_unit(measure)
        if hyp.interval.method != "none" and columns_seen and unit not in columns_seen \
                and unit not in STANDARD_UNITS:
            diags.error(base + ("interval", "unit"),
                        f"hypotheses.{hid}.interval.unit: {unit!r} is not a column of the tables "
                        "this measure reads", names_hint(unit, [*columns_seen, *STANDARD_UNITS]))
        if expect is not None and (hyp.when is None or gate is not None):
            compiled[hid] = compile_hypothesis(hid, hyp, spec.decision, measure=measure,
                                               expect=expect, gate=gate)
    return compiled, reads, gated


def _check_per_keys(hid, per_keys: dict[int, list], base, infos, diags: Diagnostics) -> None:
    """`... per key`: the key must be a column of at least one table the series reads (the
    others are read whole in every slice); unknown when some table's columns are."""
    for offset, found in per_keys.items():
        if any(f is None for f in found) or any(f[0].column in f[1] for f in found):
            continue
        key = found[0][0].column
        named = ", ".join(f"{'stage' if u.source in infos else 'data source'} {u.source!r}"
                          for u, _ in found)
        every = list(dict.fromkeys(c for _, cols in found for c in cols))
        diags.error(base + ("measure",), f"hypotheses.{hid}.measure: 'per {key}': no table the "
                    f"series reads has a column {key!r} (it reads {named})",
                    names_hint(key, every), offset=offset)


def _check_methods(hid, hyp, measure, expect, base, diags: Diagnostics) -> None:
    """Intervals and tests that cannot apply to this measure's shape: what applies is
    each measure function's own (specc.measures: `intervals`, `tests`, `null_is_zero`)."""
    from specc.measures import MEASURE_FUNCTIONS

    from .measure_ast import Per, calls
    from .typed_hypothesis import single_call
    call = single_call(measure)
    fn = MEASURE_FUNCTIONS.get(call.func.text) if call is not None else None
    method = hyp.interval.method
    if method not in ("none", "fisher_z"):
        for c in calls(measure):
            other = MEASURE_FUNCTIONS.get(c.func.text)
            if not other.intervals:
                diags.error(base + ("interval", "method"), f"hypotheses.{hid}.interval.method: the "
                            f"measure {other.no_interval or 'has no interval'} ({other.name}), which has "
                            "no bootstrap interval", "in an exploratory hypothesis write interval: "
                            "{method: none}; to confirm, declare test: {method: permutation} on "
                            "diff_means instead")
                break
    if method not in ("none", *BOOTSTRAP) and (fn is None or method not in fn.intervals):
        able = [n for n, f in MEASURE_FUNCTIONS.items() if method in f.intervals]
        diags.error(base + ("interval", "method"), f"hypotheses.{hid}.interval.method: {method} "
                    f"needs a measure that is one {_or(able)} call", "use method: bca for other measures")
    positions = [c.func.text for c in calls(measure) if MEASURE_FUNCTIONS.get(c.func.text).ordered]
    if method == "bca" and positions:   # also through max(first_reaching(...) per model) etc.
        diags.warning(base + ("interval", "method"), f"hypotheses.{hid}.interval: {positions[0]} gives a "
                      "key value (a step function of the data), for which BCa is often undefined (the "
                      "jackknife is constant): the hypothesis would be inconclusive",
                      "declare interval: {method: percentile}")
    if hyp.kind == "confirmatory" and method == "none" and hyp.test is None:
        diags.error(base + ("interval", "method"), f"hypotheses.{hid}: a confirmatory hypothesis "
                    "needs an interval or a test; a point estimate alone cannot confirm anything",
                    "keep the default interval (bca), declare a test, or write kind: exploratory")
    if hyp.test is None:
        return
    if call is not None and call.args and isinstance(call.args[0], Per):
        diags.error(base + ("test", "method"), f"hypotheses.{hid}.test: a {hyp.test.method} test "
                    f"needs observations, but {call.func.text}(... per {call.args[0].key.text}) "
                    "summarises a series", "drop test: and decide on the interval (the bootstrap "
                    "recomputes the whole series)")
        return
    if fn is None or hyp.test.method not in fn.tests:
        able = [n for n, f in MEASURE_FUNCTIONS.items() if hyp.test.method in f.tests]
        shown = f"{fn.name}(...)" if fn else "an expression of several calls"
        diags.error(base + ("test", "method"), f"hypotheses.{hid}.test: a {hyp.test.method} test "
                    f"does not apply to {shown}", f"{hyp.test.method} tests a measure that is one "
                    f"call of {', '.join(able)}; or drop test: and decide on the interval")
        return
    if expect is not None:
        _check_test_direction(hid, hyp, fn, expect, base, diags)


def _or(names: list[str]) -> str:
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else "".join(names)


def _check_test_direction(hid, hyp, fn, expect, base, diags: Diagnostics) -> None:
    """A test supports a hypothesis only in the direction, and against the null, it claims."""
    where = base + ("test",)
    c = expect.comparator
    if c in ("==", "between"):
        diags.error(where, f"hypotheses.{hid}.test: a test cannot show that a measure is {expect}",
                    "decide equivalence on the interval alone (drop test:)")
        return
    wanted = expect.alternative
    given = hyp.test.alternative
    if given is not None and given != wanted:
        diags.error(where + ("alternative",), f"hypotheses.{hid}.test.alternative: {given!r} does not "
                    f"test expect {expect}", f"write alternative: {wanted} (or leave it out)")
    if hyp.test.null is not None:
        _check_declared_null(hid, hyp, fn, expect, where, diags)
        return
    # Correlation tests' null is "no association" and cohens_d's "equal means": with no
    # interval the test alone would decide, so the threshold must be that null.
    if hyp.interval.method == "none" and fn.null_is_zero and expect.threshold != 0:
        diags.error(base + ("interval", "method"), f"hypotheses.{hid}: the {hyp.test.method} test of "
                    f"{fn.name} tests against 0, not against the threshold {expect.threshold:g}, so it "
                    "cannot decide alone", "declare an interval (e.g. method: bca) to test the threshold, "
                    "or null: 0 in the test to require both: the test rejects 0 and the estimate "
                    "reaches the threshold")


def _check_declared_null(hid, hyp, fn, expect, where, diags: Diagnostics) -> None:
    """`test: {null: 0}`: the test rejects 0 and the estimate must reach the threshold, so the
    threshold is a minimum effect beyond the null, on the side the test looks at."""
    if not fn.null_is_zero:
        diags.error(where + ("null",), f"hypotheses.{hid}.test.null: the {hyp.test.method} test of "
                    f"{fn.name} is against the threshold {expect.threshold:g} already",
                    "leave null out: it is for correlations and cohens_d, whose tests are against 0")
    elif hyp.test.null != 0:
        diags.error(where + ("null",), f"hypotheses.{hid}.test.null: the {hyp.test.method} test of "
                    f"{fn.name} is against 0, not {hyp.test.null:g}", "write null: 0")
    elif (expect.comparator in (">", ">=") and expect.threshold < 0) or (
            expect.comparator in ("<", "<=") and expect.threshold > 0):
        diags.error(where + ("null",), f"hypotheses.{hid}.test.null: expect {expect} lies on the "
                    "other side of the null 0 from the test's direction, so it is no minimum effect",
                    "a minimum effect beyond 0 in the expected direction, e.g. >= 0.5 or <= -0.5")


_UNKNOWN_SOURCE = object()
_NOT_A_TABLE = object()


def _source_columns(source, spec, checked, infos):
    if source in infos:
        info = infos[source]
        if info.op.produces != "table":
            return _NOT_A_TABLE
        return table_columns(info, checked.data, infos)
    if source in spec.data:
        info = checked.data.get(source)
        return info.columns if info and info.columns else None
    if source in spec.stages:
        return None  # its op is unknown, already reported: its columns cannot be known
    return _UNKNOWN_SOURCE


def check_where_values(spec, plan, diags: Diagnostics) -> None:
    """`where checkpoint == 300` must match some task of the stage it filters:
    a filter on an axis value that no task has leaves the measure with no rows."""
    from .measure_ast import Cond, Literal, LiteralList, walk
    from .refs import format_value
    for hid, compiled in plan.hypotheses.items():
        measure = compiled.measure
        sources_at: dict[int, list[str]] = {}
        for use in column_uses(measure):
            if use.role == "where":
                sources_at.setdefault(use.offset, []).append(use.source)
        _check_ordered_keys(hid, measure, plan, diags)
        for node in walk(measure):
            if isinstance(node, Cond) and isinstance(node.value, Literal) and node.value.kind == "position":
                _check_position(hid, node, sources_at, plan, diags)
                continue
            if not isinstance(node, Cond) or node.op not in ("==", "in"):
                continue
            wanted = node.value.items if isinstance(node.value, LiteralList) else (node.value,)
            for source in dict.fromkeys(sources_at.get(node.column.offset, [])):
                stage = plan.stages.get(source)
                axis = node.column.text
                if stage is None or axis not in stage.over:
                    continue
                i = stage.over.index(axis)
                have = list(dict.fromkeys(t.condition[i][1] for t in plan.tasks[stage.first:stage.first + stage.count]))
                if not any(_same_value(w.value, h) for w in wanted for h in have):
                    shown = " ".join(f"{w.value!r}" if isinstance(w.value, str) else format_value(w.value)
                                     for w in wanted)
                    diags.error(("hypotheses", hid, "measure"),
                                f"hypotheses.{hid}.measure: no condition of stage {source!r} has "
                                f"{axis} {node.op} {shown}",
                                f"{axis} takes the values " + ", ".join(format_value(h) for h in have[:12]),
                                offset=node.value.offset)


def _check_position(hid, cond, sources_at, plan, diags: Diagnostics) -> None:
    """`where checkpoint == last` needs an ordered axis: numbers in every task of the stage."""
    from .refs import format_value
    axis = cond.column.text
    for source in dict.fromkeys(sources_at.get(cond.column.offset, [])):
        stage = plan.stages.get(source)
        if stage is None or axis not in stage.over:
            continue
        i = stage.over.index(axis)
        have = list(dict.fromkeys(t.condition[i][1] for t in plan.tasks[stage.first:stage.first + stage.count]))
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in have):
            diags.error(("hypotheses", hid, "measure"),
                        f"hypotheses.{hid}.measure: '{cond.value.value}' needs an ordered axis, but "
                        f"{axis} of stage {source!r} takes the values "
                        + ", ".join(format_value(h) for h in have[:12]),
                        "name the value: " + f"{axis} == " + (f'"{have[-1]}"' if isinstance(have[-1], str)
                                                               else format_value(have[-1])),
                        offset=cond.value.offset)
            return


def _ordered_keys(measure):
    """(function, key Name, sources) of each call that reads its key as an ordered axis:
    argmax / argmin / first_reaching, by their `by` key or their series' `per` key."""
    from specc.measures import MEASURE_FUNCTIONS

    from .measure_ast import Per, calls, sources
    for call in calls(measure):
        fn = MEASURE_FUNCTIONS.get(call.func.text)
        if not fn.ordered or not call.args:
            continue
        arg = call.args[0]
        if isinstance(arg, Per):
            yield fn, arg.key, list(dict.fromkeys(n.text for n in sources(arg.expr)))
        elif arg.by:
            yield fn, arg.by[0], [arg.column.source]


def _check_ordered_keys(hid, measure, plan, diags: Diagnostics) -> None:
    """argmax / first_reaching over a stage axis whose values are not numbers (model names)
    has no order to read: an error at the key."""
    from .refs import format_value
    for fn, key, read in _ordered_keys(measure):
        for source in read:
            stage = plan.stages.get(source)
            if stage is None or key.text not in stage.over:
                continue
            i = stage.over.index(key.text)
            have = list(dict.fromkeys(t.condition[i][1]
                                      for t in plan.tasks[stage.first:stage.first + stage.count]))
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in have):
                diags.error(("hypotheses", hid, "measure"),
                            f"hypotheses.{hid}.measure: {fn.name} reads {key.text} as an ordered axis, "
                            f"but {key.text} of stage {source!r} takes the values "
                            + ", ".join(format_value(h) for h in have[:12]),
                            "use max/min for the best value, or an axis of numbers (checkpoint, "
                            "tokens, layer)", offset=key.offset)
                break


def _same_value(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def check_column_params(spec, checked, infos, diags: Diagnostics) -> None:
    """Params that name a column (`good: sentence_good`) must name one that exists
    in the data source or table they refer to, when its columns are known."""
    from specc.ops._op import ColumnOf

    from .refs import marked
    for name, info in infos.items():
        params = info.any_params
        if params is None:
            continue
        for path, marker, column, owner in marked(params, ColumnOf):
            if "${" in column:
                continue
            target = next((v for p in marker.params for v in (getattr(owner, p, None), getattr(params, p, None))
                           if isinstance(v, str)), None)
            if target is None:
                continue
            source = ref_source(target)
            if source in spec.data and getattr(spec.data[source], "kind", None) == "text":
                continue  # a plain-text file is one text: field names do not apply
            cols = _source_columns(source, spec, checked, infos)
            if cols is None or cols is _UNKNOWN_SOURCE or cols is _NOT_A_TABLE:
                continue
            what = "stage" if source in infos else "data source"
            for wanted in _columns_named(column, marker):
                if wanted not in cols:
                    diags.error(("stages", name) + path, f"stages.{name}.{'.'.join(map(str, path))}: "
                                f"{what} {source!r} has no column {wanted!r}", names_hint(wanted, cols))


def _columns_named(value: str, marker) -> list[str]:
    """The columns a ColumnOf param names: itself, or a template's placeholders."""
    if not marker.template:
        return [value]
    from specc.ops._common import placeholders
    try:
        names = placeholders(value, "template")
    except ValueError:
        return []   # a malformed template is the params model's error
    return [n for n in dict.fromkeys(names) if n not in marker.reserved]
