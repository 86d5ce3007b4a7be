"""The command line: instant listing, one-line user errors with exit 2, end-to-end runs and reports."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from kerasdl.cli import main


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kerasdl.cli", *args], capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("argv", [["list", "builders"], ["list", "experiments"], ["datasets"], ["--help"]])
def test_listing_never_imports_tensorflow(argv):
    code = ("import sys\nfrom kerasdl.cli import main\n"
            f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow imported'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_a_hyperparameter_typo_is_answered_without_importing_tensorflow(user_csv):
    argv = ["fit", "mlp", "--data", str(user_csv), "--target", "label", "--hp", "unitz=3"]
    code = ("import sys\nfrom kerasdl.cli import main\n"
            f"assert main({argv!r}) == 2\n"
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow imported'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("\n") == 1 and "unitz" in result.stderr


def test_list_json_is_machine_readable(capsys):
    assert main(["list", "experiments", "--json"]) == 0
    names = [row["name"] for row in json.loads(capsys.readouterr().out)]
    assert "heart-disease" in names
    assert main(["list", "builders", "--json"]) == 0
    builders = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert builders["mlp"]["apis"] == ["sequential", "functional"]


def test_a_reader_closing_the_pipe_early_gives_no_traceback():
    """`kerasdl list builders --json | head -1` when head has already exited: every write fails."""
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first write, so the failure is certain
    try:
        listing = subprocess.run([sys.executable, "-m", "kerasdl.cli", "list", "builders", "--json"],
                                 stdout=write_end, stderr=subprocess.PIPE, timeout=60)
    finally:
        os.close(write_end)
    assert b"Traceback" not in listing.stderr, listing.stderr.decode()
    assert listing.returncode == 1


@pytest.mark.parametrize("args, expected", [
    (["run", "heart-diseas"], "closest: heart-disease"),
    (["run", "no-such-thing"], "unknown experiment"),
    (["list", "models"], "invalid choice"),
    (["report", "/nonexistent/run"], "run.json"),
])
def test_user_errors_are_one_line_and_exit_2(args, expected):
    result = _cli(*args)
    assert result.returncode == 2
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


def _write(path, text):
    path.write_text(text)
    return path


@pytest.fixture()
def user_csv(tmp_path):
    rows = ["age,colour,score,label"]
    for i in range(60):
        colour = ["red", "green", "blue"][i % 3]
        score = "" if i % 11 == 0 else str((i * 37) % 100)
        rows.append(f"{20 + i % 40},{colour},{score},{'sick' if (i * 37) % 100 > 50 else 'healthy'}")
    return _write(tmp_path / "patients.csv", "\n".join(rows) + "\n")


def test_fit_trains_a_builder_on_a_user_csv(tmp_path, user_csv, capsys):
    out = tmp_path / "reports"
    code = main(["fit", "mlp", "--data", str(user_csv), "--target", "label", "--hp", "units=[8]",
                 "--hp", "epochs=2", "--out", str(out), "--quiet", "--no-tensorboard"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "report:" in printed
    (run_dir,) = (out / "fit-mlp-patients").iterdir()
    record = json.loads((run_dir / "run.json").read_text())
    assert record["dataset"]["class_names"] == ["healthy", "sick"]
    assert record["variants"][0]["hyperparameters"] == {"linear_skip": True, "l2": 0.03, "units": [8]}  # + fit's
    assert (run_dir / "report.html").is_file() and (out / "index.html").is_file()


@pytest.mark.parametrize("args, expected", [
    (["--target", "label", "--hp", "unitz=3"], "accepted: "),
    (["--target", "label", "--hp", "units"], "NAME=VALUE"),
    (["--target", "nope"], "columns found"),
])
def test_fit_user_errors_write_nothing(tmp_path, user_csv, args, expected):
    out = tmp_path / "reports"
    result = _cli("fit", "mlp", "--data", str(user_csv), "--out", str(out), *args)
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_fit_malformed_csv_names_file_and_line(tmp_path):
    bad = _write(tmp_path / "bad.csv", "a,b,label\n1,2,x\n3,4,y\n5,6,7,8\n")
    result = _cli("fit", "mlp", "--data", str(bad), "--target", "label", "--out", str(tmp_path / "r"))
    assert result.returncode == 2
    assert "bad.csv" in result.stderr and ":4" in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_run_quick_then_rerender_from_the_record(tmp_path, capsys):
    out = tmp_path / "reports"
    assert main(["run", "heart-disease", "--quick", "--out", str(out), "--quiet"]) == 0
    (run_dir,) = (out / "heart-disease").iterdir()
    report = run_dir / "report.html"
    report.unlink()
    assert main(["report", str(run_dir)]) == 0
    assert report.is_file() and "heart" in report.read_text().lower()


def test_ctrl_c_leaves_an_interrupted_record_and_a_report(tmp_path):
    import os
    import signal
    import time

    out = tmp_path / "reports"
    process = subprocess.Popen([sys.executable, "-m", "kerasdl.cli", "run", "heart-disease", "--out", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    try:
        for line in process.stdout:  # wait until training is under way, then press Ctrl-C
            if "fold 1/5" in line:
                break
        time.sleep(1.0)  # let fit start; the signal may land anywhere in it
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    (run_dir,) = (out / "heart-disease").iterdir()
    assert not run_dir.name.startswith(".")
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "interrupted"
    assert record["variants"][0]["status"] == "interrupted"
    assert (run_dir / "report.html").is_file()
