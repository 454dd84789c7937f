"""The bad-spec corpus: each file under bad_specs/ states, in its leading
comments, every error the compiler must report for it, exactly:

    # expect: 12:5: stages.pretrain: unknown key 'stesp'
    # hint: did you mean 'steps'?        (optional: the hint of the line above)

The test compiles the file and compares the full list of errors (line, column,
message, and the hints given) with the expectation.
"""
from pathlib import Path

import pytest

from specc.compiler import SpecErrors, compile_spec

CORPUS = Path(__file__).parent / "bad_specs"
FILES = sorted(CORPUS.glob("*.yaml"))


def expectations(path: Path) -> list[tuple[int, int, str, str | None]]:
    out: list[list] = []
    for line in path.read_text().splitlines():
        if line.startswith("# expect: "):
            pos_line, pos_col, message = line[len("# expect: "):].split(":", 2)
            out.append([int(pos_line), int(pos_col), message.strip(), None])
        elif line.startswith("# hint: "):
            out[-1][3] = line[len("# hint: "):].strip()
        elif not line.startswith("#"):
            break
    return [tuple(e) for e in out]


def test_corpus_is_large_enough():
    assert len(FILES) >= 40


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_bad_spec(path: Path):
    expected = expectations(path)
    assert expected, f"{path.name} declares no '# expect:' line"
    with pytest.raises(SpecErrors) as info:
        compile_spec(path)
    got = [(d.line, d.col, d.message, d.hint) for d in info.value.diagnostics]
    assert len(got) == len(expected), "\n".join(str(d) for d in info.value.diagnostics)
    for (line, col, message, hint), (g_line, g_col, g_message, g_hint) in zip(expected, got):
        assert (g_line, g_col, g_message) == (line, col, message)
        if hint is not None:
            assert g_hint == hint
    for d in info.value.diagnostics:
        assert d.file == str(path)
