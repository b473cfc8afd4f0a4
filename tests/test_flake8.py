"""The flake8 plugin through real flake8 processes: registration, noqa, selection, stdin,
columns, syntax errors.  Each flake8 run costs about half a second, so each run checks several
files at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flake8_param_check import __version__, project
from flake8_param_check.analysis import analyze
from flake8_param_check.codes import CODES

FORMAT = "--format=%(path)s:%(row)d:%(col)d:%(code)s"

HEADER = "import torch\nfrom torch import nn\n\n\n"

NOQA = HEADER + """\
class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.zeros(1)  # noqa
        self.b = torch.zeros(1)  # noqa: TPC001
        self.c = torch.zeros(1)  # noqa: E501
        self.d = torch.zeros(1)  # noqa:E501,TPC001
        self.e = torch.zeros(1)  # noqa: TPC
        self.f = torch.zeros(1)  # noqa: TPC002
        self.g = torch.zeros(1, requires_grad=True)  # noqa: TPC001
        self.h = torch.zeros(1)  # NOQA
        self.i = torch.zeros(1)
"""
NOQA_EXPECTED = {(10, 9, "TPC001"), (13, 9, "TPC001"), (14, 9, "TPC002"), (16, 9, "TPC001")}

COLUMNS = HEADER + """\
class M(nn.Module):
    def __init__(self):
        super().__init__()
        x = self.a = torch.zeros(1)
        self.b, self.c = torch.zeros(1), torch.ones(1)
        if x is not None:
            self.d = torch.zeros(1)
        self.e: torch.Tensor = torch.zeros(1)
        self.layers = [nn.Linear(1, 1), nn.ReLU()]
        self.params = [nn.Parameter(torch.zeros(1))]
        self.w = nn.Parameter(torch.zeros(1)).cuda()


class Outer:
    class Inner(nn.Module):
        def __init__(self):
            super().__init__()
            self.z = torch.zeros(1)
"""
COLUMNS_EXPECTED = {
    (8, 13, "TPC001"),
    (9, 9, "TPC001"),
    (9, 17, "TPC001"),
    (11, 13, "TPC001"),
    (12, 9, "TPC001"),
    (13, 9, "TPC003"),
    (14, 9, "TPC004"),
    (15, 9, "TPC005"),
    (22, 13, "TPC001"),
}

TABS = HEADER + "class T(nn.Module):\n\tdef __init__(self):\n\t\tsuper().__init__()\n\t\tself.t = torch.zeros(1)\n"
TABS_EXPECTED = {(8, 3, "TPC001")}  # flake8 counts a tab as one column, as pycodestyle does

PLAIN = HEADER + """\
class NotAModule:
    def __init__(self):
        self.pe = torch.zeros(3)
        self.layers = [nn.Linear(1, 1)]


def function():
    table = torch.zeros(3)
    return table
"""

SYNTAX_ERROR = HEADER + "class M(nn.Module):\n    def __init__(self:\n        self.pe = torch.zeros(3)\n"

ALL_CODES = HEADER + """\
class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.zeros(1)
        self.b = torch.zeros(1, requires_grad=True)
        self.c = [nn.Linear(1, 1)]
        self.d = [torch.zeros(1)]
        self.e = nn.Parameter(torch.zeros(1)).double()
"""
ALL_EXPECTED = {(8, 9, "TPC001"), (9, 9, "TPC002"), (10, 9, "TPC003"), (11, 9, "TPC004"), (12, 9, "TPC005")}


def flake8(*argv: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", *argv],
        cwd=cwd, input=stdin, capture_output=True, text=True, timeout=120, check=False,
    )


def parsed(stdout: str) -> dict[str, set[tuple[int, int, str]]]:
    found: dict[str, set[tuple[int, int, str]]] = {}
    for line in stdout.splitlines():
        path, row, col, code = line.rsplit(":", 3)
        found.setdefault(Path(path).as_posix().removeprefix("./"), set()).add((int(row), int(col), code))
    return found


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    project.clear_cache()


def test_version_lists_the_plugin(tmp_path: Path) -> None:
    result = flake8("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert f"flake8-param-check: {__version__}" in result.stdout


def test_one_run_over_many_files(tmp_path: Path) -> None:
    """noqa, columns, tabs, a non-Module file and a syntax error, in one flake8 run."""
    write(tmp_path, {
        "noqa.py": NOQA,
        "columns.py": COLUMNS,
        "tabs.py": TABS,
        "plain.py": PLAIN,
        "broken.py": SYNTAX_ERROR,
        "empty.py": "",
    })
    result = flake8("--isolated", "--select=TPC,E999", FORMAT, ".", cwd=tmp_path)
    assert result.stderr == ""
    assert result.returncode == 1
    found = parsed(result.stdout)
    assert found.pop("noqa.py") == NOQA_EXPECTED
    assert found.pop("columns.py") == COLUMNS_EXPECTED
    assert found.pop("tabs.py") == TABS_EXPECTED
    broken = found.pop("broken.py")
    assert {code for _, _, code in broken} == {"E999"}
    assert found == {}  # nothing for plain.py or empty.py
    # The analysis agrees (0-based columns there), and points at the `self.` of the target.
    for text, expected in ((COLUMNS, COLUMNS_EXPECTED), (TABS, TABS_EXPECTED)):
        findings = analyze(text).findings
        assert {(f.line, f.col + 1, f.code) for f in findings} == expected
        for f in findings:
            assert text.splitlines()[f.line - 1][f.col:].startswith(f"self.{f.attr}")


TENSORS = "register each tensor as a buffer (self.register_buffer)"


def test_message_text(tmp_path: Path) -> None:
    write(tmp_path, {"m.py": ALL_CODES})
    result = flake8("--isolated", "--select=TPC", "m.py", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"m.py:8:9: {CODES['TPC001'].message(attr='a')}",
        f"m.py:9:9: {CODES['TPC002'].message(attr='b')}",
        f"m.py:10:9: {CODES['TPC003'].message(attr='c', container='list', fix='ModuleList')}",
        # Plain tensors: a ParameterList would make them trainable, so each wants a buffer.
        f"m.py:11:9: {CODES['TPC004'].message(attr='d', container='list', held='tensors', advice=TENSORS)}",
        f"m.py:12:9: {CODES['TPC005'].message(attr='e', method='double')}",
    ]


@pytest.mark.parametrize(
    "options, expected",
    [
        (["--select=TPC"], ALL_EXPECTED),
        (["--select=TPC002,TPC005"], {e for e in ALL_EXPECTED if e[2] in ("TPC002", "TPC005")}),
        (["--select=TPC00"], ALL_EXPECTED),
        (["--select=E,W"], set()),
        (["--select=TPC", "--extend-ignore=TPC001"], {e for e in ALL_EXPECTED if e[2] != "TPC001"}),
        (["--select=TPC", "--ignore=TPC001,TPC003"], {e for e in ALL_EXPECTED if e[2] not in ("TPC001", "TPC003")}),
        (["--extend-select=TPC", "--select=E9"], ALL_EXPECTED),
        (["--select=TPC", "--per-file-ignores=a.py:TPC001 sub/*.py:TPC"],
         "per-file"),
    ],
    ids=["select-all", "select-two", "select-prefix", "select-other", "extend-ignore", "ignore", "extend-select",
         "per-file-ignores"],
)
def test_selection_options(options: list[str], expected: object, tmp_path: Path) -> None:
    write(tmp_path, {"a.py": ALL_CODES, "b.py": ALL_CODES, "sub/c.py": ALL_CODES})
    result = flake8("--isolated", FORMAT, *options, ".", cwd=tmp_path)
    assert result.stderr == ""
    found = parsed(result.stdout)
    if expected == "per-file":
        assert found == {"a.py": {e for e in ALL_EXPECTED if e[2] != "TPC001"}, "b.py": ALL_EXPECTED}
    else:
        assert found == ({rel: expected for rel in ("a.py", "b.py", "sub/c.py")} if expected else {})
    assert result.returncode == (1 if found else 0)


def test_stdin(tmp_path: Path) -> None:
    """``flake8 -``: reported under the display name; with a display name that is a real file of a
    package, imports resolve against the files beside it (as an editor expects)."""
    model = (
        "import torch\n"
        "from .layers import Block\n\n\n"
        "class Net(Block):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.pe = torch.zeros(3)\n"
    )
    write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/layers.py": HEADER + "class Block(nn.Module):\n    pass\n",
        "pkg/model.py": "# the file on disk is not the one checked\n",
    })
    plain = flake8("--isolated", "--select=TPC", FORMAT, "-", cwd=tmp_path, stdin=ALL_CODES)
    assert plain.stderr == ""
    assert parsed(plain.stdout) == {"stdin": ALL_EXPECTED}

    named = flake8("--isolated", "--select=TPC", FORMAT, "--stdin-display-name=pkg/model.py", "-",
                   cwd=tmp_path, stdin=model)
    assert named.stderr == ""
    assert parsed(named.stdout) == {"pkg/model.py": {(8, 9, "TPC001")}}

    unnamed = flake8("--isolated", "--select=TPC", FORMAT, "-", cwd=tmp_path, stdin=model)
    assert (unnamed.stderr, unnamed.stdout, unnamed.returncode) == ("", "", 0)  # Block is unknown

    nowhere = flake8("--isolated", "--select=TPC", FORMAT, "--stdin-display-name=no/such/dir/x.py", "-",
                     cwd=tmp_path, stdin=ALL_CODES + "\nfrom .missing import Thing\n")
    assert nowhere.stderr == ""
    assert parsed(nowhere.stdout) == {"no/such/dir/x.py": ALL_EXPECTED}


def test_module_bases_option_is_registered(tmp_path: Path) -> None:
    result = flake8("--help", cwd=tmp_path)
    assert "--param-check-module-bases" in result.stdout
    write(tmp_path, {"m.py": "import torch\nfrom lib import Base\n\n\nclass M(Base):\n"
                             "    def __init__(self):\n        self.pe = torch.zeros(1)\n"})
    off = flake8("--isolated", "--select=TPC", FORMAT, "m.py", cwd=tmp_path)
    on = flake8("--isolated", "--select=TPC", FORMAT, "--param-check-module-bases", "lib.Base", "m.py", cwd=tmp_path)
    assert (off.stdout, off.stderr) == ("", "")
    assert (on.stderr, parsed(on.stdout)) == ("", {"m.py": {(7, 9, "TPC001")}})
