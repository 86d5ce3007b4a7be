"""How fast the CLI answers `--help` and `list` compared with merely importing TensorFlow.

The CLI promises not to import TensorFlow for these; this measures what that buys. Each command runs
in a fresh interpreter several times, interleaved so machine load hits both sides alike; the ratio
uses medians. Results go to benchmarks/results/cli_startup.json and are printed.

    python benchmarks/cli_startup.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _results import write_result  # benchmarks/ is on sys.path when a script runs

HERE = Path(__file__).resolve().parent


def _time(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    kerasdl = shutil.which("kerasdl") or str(Path(sys.executable).with_name("kerasdl"))
    commands = {
        "kerasdl --help": [kerasdl, "--help"],
        "kerasdl list builders": [kerasdl, "list", "builders"],
        "kerasdl list experiments": [kerasdl, "list", "experiments"],
        "python -c 'import tensorflow'": [sys.executable, "-c", "import tensorflow"],
    }
    for command in commands.values():  # warm the file cache so the first sample is not an outlier
        _time(command)
    samples = {name: [] for name in commands}
    for _ in range(args.repeat):
        for name, command in commands.items():
            samples[name].append(_time(command))
    baseline = statistics.median(samples["python -c 'import tensorflow'"])
    results = {name: {"median_s": statistics.median(s), "samples_s": s,
                      "ratio_to_import_tensorflow": statistics.median(s) / baseline}
               for name, s in samples.items()}
    out = write_result("cli_startup.json", {"repeat": args.repeat, "target_ratio": 0.3, "results": results})
    for name, r in results.items():
        print(f"{name:32s} median {r['median_s']:.3f} s   ratio {r['ratio_to_import_tensorflow']:.3f}")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
