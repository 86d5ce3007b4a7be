"""The README's two set-up commands are what CI runs, and the tour names real commands."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    setup = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", setup, flags=re.S)


def test_readme_opens_with_exactly_two_setup_commands():
    commands = _readme_commands()
    assert len(commands) == 2
    install_and_run, install_and_test = commands
    assert "python3 -m venv .venv" in install_and_run and "kerasdl run heart-disease" in install_and_run
    assert '".[test]"' in install_and_test and "pytest" in install_and_test


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert _readme_commands()[1] in ci


def test_the_readme_new_task_example_registers_a_working_task(monkeypatch):
    """The 'how a new kind of model plugs in' example runs, and its task scores counts."""
    import numpy as np

    from kerasdl.tasks import base

    monkeypatch.setattr(base, "_REGISTRY", dict(base._REGISTRY))  # the example registers globally
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Tasks, builders and trainers", 1)[1]
    (example,) = re.findall(r"```python\n(.+?)\n```", section.split("\n## ", 1)[0], flags=re.S)
    namespace: dict = {}
    exec(compile(example, "README.md", "exec"), namespace)
    task = base.get("count")
    assert task.builder_defaults() == {"output_activation": "softplus"} and task.loss() == "poisson"
    found = task.metrics(np.array([1.0, 2.0, 4.0]), np.array([1.0, 2.0, 4.0]))
    assert found["poisson_deviance"] == 0.0 and task.is_lower_better("poisson_deviance")
