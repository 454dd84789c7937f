"""Both reports name the image a container run used; results.md lists an allowed difference."""
from __future__ import annotations

from pathlib import Path

from specc.containers.resolve import RunImage, deviation
from specc.report.results import load_results, render_results
from specc.templates.render import render

GOLDEN = Path(__file__).resolve().parents[1] / "report" / "golden"
A, B = "sha256:" + "a" * 64, "sha256:" + "b" * 64


def image(digest: str) -> RunImage:
    devs = [deviation(A, digest, "this machine")] if digest != A else []
    return RunImage("cpu", "podman", digest, A, "localhost/specc:cpu", {"image": digest},
                    "Debian GNU/Linux 12 (bookworm)", "containers/image.lock", digest != A, devs)


def rendered(tmp_path, run_image: RunImage) -> str:
    results = load_results(GOLDEN / "results_input.json")
    results["provenance"].update(image_digest=run_image.digest, image=run_image.to_dict())
    return render_results(results, tmp_path).read_text(encoding="utf-8")


def test_results_name_the_pinned_image(tmp_path):
    text = rendered(tmp_path, image(A))
    assert (f"- **Container image:** `{A}` (cpu variant, podman, Debian GNU/Linux 12 (bookworm); "
            "pinned in `containers/image.lock`)\n- **Python:**") in text
    assert "The image differs from the lock" not in text


def test_results_list_an_allowed_image_change_as_a_deviation(tmp_path):
    text = rendered(tmp_path, image(B))
    assert f"`containers/image.lock` pins `{A}` instead: see the deviations" in text
    assert "### The image differs from the lock" in text
    assert f"| image (this machine) | `{A}` | `{B}` | tasks ran in an image other than the pinned one" in text
    # the section sits with the pre-registration's deviations, before the exploratory results
    assert text.index("### The image differs") < text.index("## Exploratory results")


def test_preregistration_names_the_image_it_runs_in():
    from specc.compiler import compile_spec
    from specc.prereg.report import preregistration_context
    from specc.prereg.lock import freeze
    assert "Container image" not in _prereg(compile_spec, preregistration_context, freeze, None)
    row = f"| Container image | `{A}` (cpu variant, Debian GNU/Linux 12 (bookworm); pinned in `containers/image.lock`)"
    assert row in _prereg(compile_spec, preregistration_context, freeze, image(A))


def _prereg(compile_spec, context, freeze, run_image) -> str:
    import tempfile
    spec = Path(__file__).resolve().parents[2] / "tests" / "specs" / "blimp-toy.yaml"
    plan = compile_spec(spec)
    plan.image = run_image
    with tempfile.TemporaryDirectory() as tmp:
        lock = freeze(plan, spec, path=Path(tmp) / "x.lock.json")
        return render("preregistration.md.j2", **context(plan, spec, lock))
