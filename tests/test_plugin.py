"""The flake8 adapter's own decisions (the rest of its behaviour: tests/test_flake8.py)."""

from __future__ import annotations

import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import pytest

from flake8_param_check.plugin import ParamCheckPlugin, _selects_tpc


@pytest.mark.parametrize(
    ("select", "extend_select", "expected"),
    [
        (None, None, True),
        ([], None, True),
        (["E", "W"], None, False),
        (["E", "W"], ["TPC"], True),
        (["E", "TPC001"], None, True),
        (["T"], None, True),
        (["TP"], None, True),
        (["tpc"], None, True),
        (["TPC1"], None, False),
    ],
)
def test_analysis_runs_only_when_a_tpc_code_can_be_reported(select, extend_select, expected) -> None:
    assert _selects_tpc(Namespace(select=select, extend_select=extend_select)) is expected


def test_unselected_plugin_does_no_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """flake8 calls every installed plugin whatever --select says; ours returns at once when no
    TPC code is selected (a real flake8 run, with the analysis made to fail loudly if called)."""
    (tmp_path / "m.py").write_text(
        "import torch\nfrom torch import nn\n\nclass M(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.pe = torch.zeros(3)\n"
    )
    (tmp_path / "sitecustomize.py").write_text(
        "import flake8_param_check.plugin as p\n"
        "def boom(*a, **k):\n    raise SystemExit('analysis ran')\n"
        "p.analyze = boom\n"
    )
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    unselected = subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select=E9", "m.py"],
                                cwd=tmp_path, capture_output=True, text=True, env=env)
    assert unselected.returncode == 0, unselected.stdout + unselected.stderr
    selected = subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select=E9,TPC", "m.py"],
                              cwd=tmp_path, capture_output=True, text=True, env=env)
    assert "analysis ran" in selected.stdout + selected.stderr


def test_plugin_class_is_thin() -> None:
    assert ParamCheckPlugin.name == "flake8-param-check"
    assert hasattr(ParamCheckPlugin, "add_options") and hasattr(ParamCheckPlugin, "parse_options")
