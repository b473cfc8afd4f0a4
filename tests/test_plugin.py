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


def test_code_without_torch_never_imports_libcst(tmp_path: Path) -> None:
    """On code that cannot hold a Module the plugin costs a few substring searches: libcst (a
    noticeable import, and many objects for flake8's garbage collections) is never loaded.  A
    real flake8 run, reporting at exit whether libcst was imported."""
    (tmp_path / "plain.py").write_text("import os\n\n\nclass A(object):\n    def __init__(self):\n"
                                       "        self.x = os.getcwd()\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "util.py").write_text("import json\n\n\nclass B(dict):\n    pass\n")
    (tmp_path / "sitecustomize.py").write_text(
        "import atexit, sys\n"
        "atexit.register(lambda: print('LIBCST', 'libcst' in sys.modules))\n"
    )
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", "flake8", "--isolated", "-j1", "--select=TPC"]
    plain = subprocess.run([*command, "plain.py", "pkg"], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert "LIBCST False" in plain.stdout, plain.stdout + plain.stderr
    (tmp_path / "model.py").write_text(
        "import torch\nfrom torch import nn\n\nclass M(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.pe = torch.zeros(3)\n"
    )
    torchy = subprocess.run([*command, "plain.py", "model.py"], cwd=tmp_path, capture_output=True, text=True,
                            env=env)
    assert "model.py:7:9: TPC001" in torchy.stdout and "LIBCST True" in torchy.stdout, torchy.stdout


@pytest.mark.parametrize("enabled", [True, False])
def test_analysis_leaves_the_garbage_collector_as_it_found_it(enabled: bool) -> None:
    import gc

    from flake8_param_check.analysis import analyze

    source = ("import torch\nfrom torch import nn\n\nclass M(nn.Module):\n    def __init__(self):\n"
              "        super().__init__()\n        self.pe = torch.zeros(3)\n")
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        assert [f.code for f in analyze(source).findings] == ["TPC001"]
        assert analyze("class (:\n").error is not None
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


# -- TPC900: an analysis that stops early says so ------------------------------------------------

_HEADER = "import torch\nfrom torch import nn\n\n"
_INIT = "class M(nn.Module):\n    def __init__(self, c):\n        super().__init__()\n"
#: One file per cause of an early stop, with the reason TPC900 gives.
_STOPS = {
    "budget": (_INIT + "        self.pe = torch.zeros(1)\n" + _INIT.replace("class M", "class N")
               + "        self.x = [torch.zeros(1)" + ", c" * 210_000 + "]\n",
               "analysis stopped: the file exceeds the work bound"),
    "recursion": (_INIT + "        self.x = torch.zeros(1)" + " + c" * 250 + "\n",
                  "analysis stopped: nesting too deep"),
    "new_syntax": ("class M(nn.Module):\n\x0c    def __init__(self):\n        super().__init__()\n"
               "        self.pe = torch.zeros(3)\n",
               "not checked: libcst cannot parse the definition at line 5"),
}


def _flake8(tmp_path: Path, *args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select=TPC", "--format=%(path)s:%(row)d:%(col)d: %(code)s %(text)s",
         *args, "."], cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode in (0, 1) and "Traceback" not in done.stderr, done.stderr[-2000:]
    return sorted(done.stdout.splitlines())


def test_flake8_reports_each_early_stop_as_tpc900(tmp_path: Path) -> None:
    for name, (body, _) in _STOPS.items():
        (tmp_path / f"{name}.py").write_text(_HEADER + body)
    (tmp_path / "clean.py").write_text(_HEADER + _INIT + "        self.n = c\n")
    lines = _flake8(tmp_path)
    for name, (_, reason) in _STOPS.items():
        assert f"./{name}.py:1:1: TPC900 flake8-param-check could not fully analyse this file: {reason}" in lines
    assert not [line for line in lines if line.startswith("./clean.py")]
    # The findings found before the stop are still reported, with it.
    assert "./budget.py:7:9: TPC001 tensor 'self.pe' is not registered" in "\n".join(lines)
    # TPC900 is selected and ignored like any code.
    assert not [line for line in _flake8(tmp_path, "--extend-ignore=TPC900") if "TPC900" in line]


def test_an_internal_error_is_tpc900_not_silence(monkeypatch: pytest.MonkeyPatch) -> None:
    import ast

    from flake8_param_check import plugin, session

    source = _HEADER + _INIT + "        self.pe = torch.zeros(3)\n"
    lines = source.splitlines(keepends=True)

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("bug")

    # A bug inside the analysis: caught there, reported with its reason.
    monkeypatch.setattr(session.Session, "class_summary", broken)
    found = list(plugin.ParamCheckPlugin(ast.parse(source), lines, "m.py").run())
    assert [(row, col, text) for row, col, text, _ in found] == [
        (1, 0, "TPC900 flake8-param-check could not fully analyse this file: internal error: KeyError: 'bug'")
    ]
    # A bug that escapes the analysis itself: flake8's run goes on, and the file says so.
    monkeypatch.setattr(plugin, "analyze", broken)
    found = list(plugin.ParamCheckPlugin(ast.parse(source), lines, "m.py").run())
    assert [text for _, _, text, _ in found] == [
        "TPC900 flake8-param-check could not fully analyse this file: internal error: KeyError"
    ]
