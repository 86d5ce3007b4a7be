"""Report rendering time: one run page of a 10-variant run, and reports/index.html over 50, 500 and
5000 run records (targets: < 1 s and < 3 s at 500).

The records are the synthetic ones the report tests use (tests/conftest.py `_write_run`: every
metric, per-fold entries, a confusion matrix, history and predictions; the index's records share
one set of history/prediction files through hard links), spread over 10 experiment names, written once per
size into a temporary folder. Each render is timed `--repeat` times in this process (the first one
also imports matplotlib/Jinja2: reported apart as "cold"). Results: benchmarks/results/render_scaling.json.

    python benchmarks/render_scaling.py [--sizes 50,500,5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _results import write_result  # benchmarks/ is on sys.path when a script runs

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _fixtures():
    """The report tests' record writer (one definition of a realistic record, not a second copy)."""
    spec = importlib.util.spec_from_file_location("kerasdl_test_fixtures", ROOT / "tests" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _timed(call, repeat: int, cpu: list[float] | None = None) -> tuple[float, list[float]]:
    """Wall seconds of the first call and of `repeat` more; their CPU seconds (this process) go to `cpu`,
    which a busy machine stretches far less than the wall time (rendering is single-threaded)."""
    start = time.perf_counter()
    call()
    cold = time.perf_counter() - start
    samples = []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        call()
        samples.append(time.perf_counter() - start)
        if cpu is not None:
            cpu.append(time.process_time() - start_cpu)
    return cold, samples


def _index_folder(fixtures, base: Path, size: int) -> Path:
    """`size` run folders (run.json only) under 10 experiment names, cloned from one written record."""
    template = fixtures._write_run(base / "template", "20260101-000000-0000", "binary", predictions=True,
                                   history=True, n_variants=4, n_folds=3)
    record = json.loads((template / "run.json").read_text())
    out = base / f"index{size}"
    for i in range(size):
        experiment = f"study-{i % 10}"
        run_id = f"2026{1 + i // 1000:04d}-{i % 1000:06d}-{i:04x}"
        folder = out / experiment / run_id
        folder.mkdir(parents=True)
        record.update(run_id=run_id)
        record["experiment"]["name"] = experiment
        (folder / "run.json").write_text(json.dumps(record))
        for other in template.iterdir():  # the same history/predictions files, linked, not copied
            if other.is_file() and other.name not in ("run.json", "report.html"):
                os.link(other, folder / other.name)
    shutil.rmtree(base / "template")
    return out


def measure(sizes: list[int], repeat: int) -> dict:
    from kerasdl import report

    fixtures = _fixtures()
    result: dict = {"repeat": repeat, "index": [], "targets": {"run_page_10_variants_s": 1.0, "index_500_s": 3.0}}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        run_dir = fixtures._write_run(base / "run", "20260101-000000-beef", "binary", predictions=True,
                                      history=True, n_variants=10, n_folds=3, sections=True)
        cpu: list[float] = []
        cold, samples = _timed(lambda: report.render_run(run_dir), repeat, cpu)
        html = (run_dir / "report.html").read_text(encoding="utf-8")
        result["run_page"] = {"variants": 10, "folds": 3, "cold_s": cold, "samples_s": samples,
                              "median_s": statistics.median(samples), "cpu_samples_s": cpu,
                              "cpu_median_s": statistics.median(cpu), "svg_figures": html.count("<svg"),
                              "html_bytes": len(html.encode("utf-8"))}
        print(f"run page, 10 variants: {statistics.median(samples):.2f} s, CPU {statistics.median(cpu):.2f} s "
              f"(cold {cold:.2f} s; {html.count('<svg')} SVG figures, {len(html) / 1e3:.0f} kB)", flush=True)
        for size in sizes:
            out = _index_folder(fixtures, base, size)
            cold, samples = _timed(lambda: report.render_index(out), repeat)
            result["index"].append({"runs": size, "cold_s": cold, "samples_s": samples,
                                    "median_s": statistics.median(samples)})
            print(f"index over {size} runs: {statistics.median(samples):.2f} s (first {cold:.2f} s)", flush=True)
            shutil.rmtree(out)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,500,5000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    result = measure([int(s) for s in args.sizes.split(",")], args.repeat)
    out = write_result("render_scaling.json", result)
    print(f"written to {out}")


if __name__ == "__main__":
    main()
