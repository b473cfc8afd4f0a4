"""Cross-file resolution on real source trees.

Each tree is checked three ways, which must agree: :func:`analyze` with the file's path, one real
flake8 process over the tree, and the CLI in-process.  Expected findings are marked in the sources
with ``# expect: TPC00N`` on the line, at the column of its ``self.`` target.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Mapping, Sequence

import pytest

from flake8_param_check import cli, project
from flake8_param_check.analysis import analyze
from flake8_param_check.settings import DEFAULT, Settings

_EXPECT = re.compile(r"#\s*expect:\s*((?:TPC\d{3}\s*)+)$")
FLAKE8 = [sys.executable, "-m", "flake8", "--select=TPC", "--format=%(path)s:%(row)d:%(col)d:%(code)s"]

Found = set[tuple[str, int, int, str]]  # (posix path relative to the tree, line, 1-based col, code)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    project.clear_cache()


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode())


def expected_in(files: Mapping[str, str | bytes], checked: Sequence[str]) -> Found:
    found: Found = set()
    for rel in checked:
        text = files[rel]
        assert isinstance(text, str)
        for number, line in enumerate(text.splitlines(), start=1):
            match = _EXPECT.search(line)
            if match:
                for code in match.group(1).split():
                    found.add((rel, number, line.index("self.") + 1, code))
    return found


def via_analyze(root: Path, files: Mapping[str, str | bytes], checked: Sequence[str], settings: Settings) -> Found:
    project.clear_cache()
    found: Found = set()
    for rel in checked:
        text = files[rel]
        assert isinstance(text, str)
        result = analyze(text, path=str(root / rel), settings=settings)
        assert result.error is None, (rel, result.error)
        found |= {(rel, f.line, f.col + 1, f.code) for f in result.findings}
    return found


def via_flake8(root: Path, targets: Sequence[str], extra: Sequence[str] = (), isolated: bool = True) -> Found:
    argv = [*FLAKE8, *(["--isolated"] if isolated else []), *extra, *targets]
    result = subprocess.run(argv, cwd=root, capture_output=True, text=True, timeout=120, check=False)
    assert result.stderr == "", result.stderr
    found: Found = set()
    for line in result.stdout.splitlines():
        path, row, col, code = line.rsplit(":", 3)
        found.add((Path(path).as_posix().removeprefix("./"), int(row), int(col), code))
    assert result.returncode == (1 if found else 0), result
    return found


def via_cli(root: Path, targets: Sequence[str], capsys: pytest.CaptureFixture[str],
            monkeypatch: pytest.MonkeyPatch, extra: Sequence[str] = (), isolated: bool = True) -> Found:
    project.clear_cache()
    monkeypatch.chdir(root)
    capsys.readouterr()
    code = cli.main([*(["--isolated"] if isolated else []), "-j", "1", "--format", "json", *extra, *targets])
    out, err = capsys.readouterr()
    assert err == "", err
    import json

    found = {(Path(r["path"]).as_posix(), r["line"], r["column"], r["code"]) for r in json.loads(out)}
    assert code == (1 if found else 0)
    return found


def check_tree(
    root: Path,
    files: Mapping[str, str | bytes],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *,
    checked: Sequence[str] | None = None,
    targets: Sequence[str] = ("pkg",),
) -> Found:
    """Write ``files`` under ``root``; analyse ``checked`` (default: every .py file) three ways and
    compare each with the markers.  ``targets`` are what flake8 and the CLI are given."""
    write_tree(root, files)
    if checked is None:
        checked = [rel for rel, text in files.items() if rel.endswith(".py") and isinstance(text, str)]
    expected = expected_in(files, checked)
    assert via_analyze(root, files, checked, DEFAULT) == expected
    assert via_flake8(root, targets) == expected
    assert via_cli(root, targets, capsys, monkeypatch) == expected
    return expected


# -- a Module base class in another file ------------------------------------------------------

LAYERS = """\
import torch
from torch import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 2)
"""
NOT_A_MODULE = """\
import torch


class Block:
    def __init__(self):
        self.lin = None
"""


def subclass(imports: str, base: str, marker: str) -> str:
    return f"""\
import torch
{imports}


class Net({base}):
    def __init__(self):
        super().__init__()
        self.pe = torch.zeros(3){marker}
"""


IMPORT_STYLES: dict[str, tuple[str, str, dict[str, str]]] = {
    # name: (import line(s), base as written, extra files)
    "absolute": ("from pkg.layers import Block", "Block", {}),
    "relative": ("from .layers import Block", "Block", {}),
    "relative-module": ("from . import layers", "layers.Block", {}),
    "absolute-module-alias": ("import pkg.layers as L", "L.Block", {}),
    "absolute-dotted": ("import pkg.layers", "pkg.layers.Block", {}),
    "aliased-name": ("from .layers import Block as Base", "Base", {}),
    "reexported": ("from pkg import Block", "Block", {"pkg/__init__.py": "from .layers import Block\n"}),
    "reexported-relative": ("from . import Block", "Block", {"pkg/__init__.py": "from .layers import Block\n"}),
    "subpackage": (
        "from .nn.blocks import Block", "Block", {"pkg/nn/__init__.py": "", "pkg/nn/blocks.py": "@LAYERS@"}
    ),
}


def renamed(files: Mapping[str, str | bytes], name: str) -> dict[str, str | bytes]:
    """``files`` with the package ``pkg`` renamed ``name`` (in paths and in the sources)."""
    result: dict[str, str | bytes] = {}
    for rel, text in files.items():
        new_rel = re.sub(r"\bpkg\b", name, rel)
        result[new_rel] = re.sub(r"\bpkg\b", name, text) if isinstance(text, str) else text
    return result


def test_base_class_in_another_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Every import style, with a Module base and with a plain one, each in its own package of one
    tree (one flake8 run)."""
    tree: dict[str, str | bytes] = {}
    for style, (imports, base, extra) in sorted(IMPORT_STYLES.items()):
        for module in (True, False):
            layers = LAYERS if module else NOT_A_MODULE
            files: dict[str, str | bytes] = {"pkg/__init__.py": "", "pkg/layers.py": layers}
            files.update({rel: layers if text == "@LAYERS@" else text for rel, text in extra.items()})
            files["pkg/model.py"] = subclass(imports, base, "  # expect: TPC001" if module else "")
            name = f"p_{style.replace('-', '_')}_{'module' if module else 'plain'}"
            tree.update(renamed(files, name))
    targets = sorted({rel.split("/")[0] for rel in tree})
    expected = check_tree(tmp_path, tree, capsys, monkeypatch, targets=targets)
    assert {rel for rel, *_ in expected} == {
        f"p_{style.replace('-', '_')}_module/model.py" for style in IMPORT_STYLES
    }


@pytest.mark.parametrize("module", [True, False], ids=["module-base", "plain-base"])
def test_chain_across_three_files(module: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    marker = "  # expect: TPC001" if module else ""
    files = {
        "pkg/__init__.py": "",
        "pkg/base.py": LAYERS if module else NOT_A_MODULE,
        "pkg/mid.py": (
            "from pkg.base import Block\n\n\n"
            "class Mid(Block):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.scale = 2.0\n"
        ),
        "pkg/sub/__init__.py": "",
        "pkg/sub/model.py": subclass("from ..mid import Mid", "Mid", marker),
    }
    expected = check_tree(tmp_path, files, capsys, monkeypatch)
    assert len(expected) == (1 if module else 0)


def test_src_layout(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "src/pkg/__init__.py": "",
        "src/pkg/layers.py": LAYERS,
        "src/pkg/model.py": subclass("from pkg.layers import Block", "Block", "  # expect: TPC001"),
        "src/pkg/model2.py": subclass("from .layers import Block", "Block", "  # expect: TPC001"),
    }
    expected = check_tree(tmp_path, files, capsys, monkeypatch, targets=["src"])
    assert len(expected) == 2


def test_flat_modules_beside_each_other(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Scripts in a folder without ``__init__.py``: the folder is the source root."""
    files = {
        "scripts/layers.py": LAYERS,
        "scripts/train.py": subclass("from layers import Block", "Block", "  # expect: TPC001"),
    }
    check_tree(tmp_path, files, capsys, monkeypatch, targets=["scripts"])


def test_torch_free_file_with_an_imported_module_base(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that never mentions torch is a Module file only through the project's classes."""
    files = {
        "pkg/__init__.py": "",
        "pkg/layers.py": LAYERS,
        "pkg/model.py": (
            "from .layers import Block\n\n\n"
            "class Net(Block):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.blocks = [Block() for _ in range(3)]  # expect: TPC003\n"
            "        self.pair = (Block(), Block())  # expect: TPC003\n"
        ),
    }
    check_tree(tmp_path, files, capsys, monkeypatch)


# -- import cycles ----------------------------------------------------------------------------


def test_import_cycle_terminates_and_resolves_what_it_can(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/a.py": (
            "import torch\n"
            "from torch import nn\n"
            "from .b import helper\n\n\n"
            "class A(nn.Module):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.t = helper()  # expect: TPC001\n"
        ),
        "pkg/b.py": (
            "import torch\n"
            "from .a import A\n\n\n"
            "def helper():\n"
            "    return torch.zeros(1)\n\n\n"
            "class B(A):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.u = torch.ones(1)  # expect: TPC001\n"
            "        self.v = helper()  # expect: TPC001\n"
        ),
    }
    check_tree(tmp_path, files, capsys, monkeypatch)


def test_inheritance_cycle_across_files_is_not_a_module(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "pkg/__init__.py": "from .a import A\nfrom .b import B\n",
        "pkg/a.py": (
            "import torch\n"
            "from .b import B\n\n\n"
            "class A(B):\n"
            "    def __init__(self):\n"
            "        self.t = torch.zeros(1)\n"
        ),
        "pkg/b.py": (
            "import torch\n"
            "from pkg import A\n\n\n"
            "class B(A):\n"
            "    def __init__(self):\n"
            "        self.u = torch.zeros(1)\n"
        ),
    }
    check_tree(tmp_path, files, capsys, monkeypatch)


def test_package_reexporting_itself_terminates(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "pkg/__init__.py": "from pkg import Block\nfrom . import Block as Other\n",
        "pkg/model.py": subclass("from pkg import Block", "Block", ""),
    }
    check_tree(tmp_path, files, capsys, monkeypatch)


# -- what cannot be read is unknown -----------------------------------------------------------

BROKEN_LAYERS: dict[str, dict[str, str | bytes]] = {
    "missing": {},
    "directory": {"pkg/layers.py/README": "a folder named like the module\n"},
    "invalid-utf8": {"pkg/layers.py": LAYERS.encode() + b"\n# \xff\xfe\xfa\n"},
    "bad-cookie": {"pkg/layers.py": b"# -*- coding: no-such-codec -*-\n" + LAYERS.encode()},
    "syntax-error": {"pkg/layers.py": LAYERS + "\ndef broken(:\n"},
    "null-byte": {"pkg/layers.py": LAYERS.encode() + b"\n\x00\n"},
    "broken-package": {"pkg/layers/__init__.py": b"class (\n"},
}


def test_unreadable_imported_module_is_unknown(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Each way of being unreadable in its own package of one tree: no finding, no error."""
    tree: dict[str, str | bytes] = {}
    checked = []
    for kind, broken in sorted(BROKEN_LAYERS.items()):
        files: dict[str, str | bytes] = {"pkg/__init__.py": ""}
        files.update(broken)
        files["pkg/model.py"] = (
            "import torch\n"
            "from .layers import Block, make_table\n"
            "from .layers import *\n"
            "from pkg.layers import Block as Again\n\n\n"
            "class Net(Block):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.pe = torch.zeros(3)\n"
            "        self.table = make_table()\n\n\n"
            "class Net2(Again):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.pe = torch.zeros(3)\n"
        )
        files["pkg/other.py"] = (
            "import torch\n"
            "from torch import nn\n"
            "from .layers import make_table\n\n\n"
            "class Other(nn.Module):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.table = make_table()\n"
            "        self.pe = torch.zeros(3)  # expect: TPC001\n"
        )
        name = f"p_{kind.replace('-', '_')}"
        tree.update(renamed(files, name))
        checked += [f"{name}/model.py", f"{name}/other.py"]
    expected = check_tree(tmp_path, tree, capsys, monkeypatch, checked=checked, targets=checked)
    assert len(expected) == len(BROKEN_LAYERS)


def test_read_error_is_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that cannot be opened (chmod 000 as a normal user; root can read it regardless)."""
    files = {
        "pkg/__init__.py": "",
        "pkg/layers.py": LAYERS,
        "pkg/model.py": subclass("from .layers import Block", "Block", ""),
    }
    write_tree(tmp_path, files)

    def refuse(path: str) -> str:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(project, "read_source", refuse)
    result = analyze(files["pkg/model.py"], path=str(tmp_path / "pkg/model.py"))
    assert result.error is None
    assert result.findings == []


# -- state a base class in another file registers ---------------------------------------------

REGISTERING_BASE = """\
import torch
from torch import nn


class Base(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("pe", torch.zeros(3))
        self.w = nn.Parameter(torch.ones(3))
        self._setup()

    def _setup(self):
        self.register_buffer("mask", torch.ones(3), persistent=False)
"""


def test_state_registered_by_a_base_in_another_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/base.py": REGISTERING_BASE,
        "pkg/mid.py": "from .base import Base\n\n\nclass Mid(Base):\n    pass\n",
        "pkg/model.py": (
            "import torch\n"
            "from .base import Base\n"
            "from .mid import Mid\n\n\n"
            "class Net(Base):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.pe = torch.ones(3)\n"
            "        self.mask = torch.zeros(3)\n"
            "        self.other = torch.ones(3)  # expect: TPC001\n"
            "        self.w2 = self.w * 2  # expect: TPC001\n\n\n"
            "class Deeper(Mid):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.pe = torch.ones(3)\n"
            "        self.other = torch.ones(3)  # expect: TPC001\n"
            "        self.w2 = self.w.detach()  # expect: TPC001\n"
        ),
    }
    check_tree(tmp_path, files, capsys, monkeypatch)


# -- helpers and classes imported from project modules ----------------------------------------

UTILS = """\
import torch
from torch import Tensor


def sinusoid_table(n):
    return torch.zeros(n)


def annotated(n) -> torch.Tensor:
    return build(n)


def annotated_short(n) -> Tensor:
    return build(n)


def through(n):
    return sinusoid_table(n) * 2


def as_list(n):
    return [0.0] * n


def as_float(n):
    return float(n)
"""


def test_helpers_imported_from_project_modules(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/utils.py": UTILS,
        "pkg/layers.py": LAYERS,
        "pkg/model.py": (
            "from torch import nn\n"
            "from .utils import sinusoid_table, annotated, annotated_short, through, as_list, as_float\n"
            "from . import utils\n"
            "from pkg.utils import sinusoid_table as table\n"
            "from .layers import Block\n\n\n"
            "class Net(nn.Module):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.a = sinusoid_table(4)  # expect: TPC001\n"
            "        self.b = annotated(4)  # expect: TPC001\n"
            "        self.c = annotated_short(4)  # expect: TPC001\n"
            "        self.d = utils.sinusoid_table(4)  # expect: TPC001\n"
            "        self.e = table(4)  # expect: TPC001\n"
            "        self.f = through(4)  # expect: TPC001\n"
            "        self.g = as_list(4)\n"
            "        self.h = as_float(4)\n"
            "        self.blocks = [Block() for _ in range(3)]  # expect: TPC003\n"
            "        self.named = {'a': Block()}  # expect: TPC003\n"
            "        self.good = nn.ModuleList([Block() for _ in range(3)])\n"
        ),
    }
    check_tree(tmp_path, files, capsys, monkeypatch)


CORE = """\
import torch
from torch import nn


def base_table(n):
    return torch.zeros(n)


class Block(nn.Module):
    def __init__(self):
        super().__init__()

    @staticmethod
    def make_table(n):
        return torch.ones(n)


def make_block():
    return Block()


def quoted(n) -> "torch.Tensor":
    return build(n)
"""


def test_helpers_through_files_and_conditional_imports(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A helper calling a helper of a third file, a staticmethod of an imported class, a helper
    returning a Module, imports under ``TYPE_CHECKING``, in ``try`` and inside a function."""
    files = {
        "pkg/__init__.py": "",
        "pkg/core.py": CORE,
        "pkg/utils.py": "from .core import base_table\n\n\ndef table(n):\n    return base_table(n) + 1\n",
        "pkg/model.py": (
            "import typing\n"
            "from torch import nn\n"
            "from .utils import table\n"
            "from .core import Block, make_block, quoted\n"
            "if typing.TYPE_CHECKING:\n"
            "    from .core import Block as TBlock\n"
            "try:\n"
            "    from .core import Block as TryBlock\n"
            "except ImportError:\n"
            "    TryBlock = None\n\n\n"
            "class Net(nn.Module):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.a = table(3)  # expect: TPC001\n"
            "        self.b = Block.make_table(3)  # expect: TPC001\n"
            "        self.c = [make_block() for _ in range(3)]  # expect: TPC003\n"
            "        self.d = quoted(3)  # expect: TPC001\n"
            "        self.f = [TryBlock()]  # expect: TPC003\n"
            "        self.g = [TBlock()]  # expect: TPC003\n"
            "        self.h = make_block()\n\n\n"
            "class Net2(TryBlock):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.a = table(3)  # expect: TPC001\n\n\n"
            "def factory():\n"
            "    from .core import Block as Inner\n\n"
            "    class Local(Inner):\n"
            "        def __init__(self):\n"
            "            super().__init__()\n"
            "            self.a = table(3)  # expect: TPC001\n\n"
            "    return Local\n"
        ),
    }
    check_tree(tmp_path, files, capsys, monkeypatch)


# -- --param-check-module-bases for a base outside the tree -----------------------------------

LIB_MODEL = """\
import torch
from somelib import LibBase


class Net(LibBase):
    def __init__(self):
        super().__init__()
        self.pe = torch.zeros(3)
"""


def test_module_bases_option(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"pkg/__init__.py": "", "pkg/model.py": LIB_MODEL}
    write_tree(tmp_path, files)
    hit = {("pkg/model.py", 8, 9, "TPC001")}
    configured = Settings(module_bases=frozenset({"somelib.LibBase"}))
    assert via_analyze(tmp_path, files, ["pkg/model.py"], DEFAULT) == set()
    assert via_analyze(tmp_path, files, ["pkg/model.py"], configured) == hit
    assert via_flake8(tmp_path, ["pkg"]) == set()
    assert via_flake8(tmp_path, ["pkg"], ["--param-check-module-bases=somelib.LibBase"]) == hit
    assert via_flake8(tmp_path, ["pkg"], ["--param-check-module-bases", "other.X,somelib.LibBase"]) == hit
    assert via_flake8(tmp_path, ["pkg"], ["--param-check-module-bases=somelib.Other"]) == set()
    assert via_cli(tmp_path, ["pkg"], capsys, monkeypatch) == set()
    assert via_cli(tmp_path, ["pkg"], capsys, monkeypatch, ["--module-bases", "somelib.LibBase"]) == hit


def test_module_bases_from_setup_cfg(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/model.py": LIB_MODEL,
        "setup.cfg": "[flake8]\nparam-check-module-bases =\n    other.Thing,\n    somelib.LibBase\n",
    }
    write_tree(tmp_path, files)
    hit = {("pkg/model.py", 8, 9, "TPC001")}
    assert via_flake8(tmp_path, ["pkg"], isolated=False) == hit
    assert via_flake8(tmp_path, ["pkg"], isolated=True) == set()
    assert via_cli(tmp_path, ["pkg"], capsys, monkeypatch, isolated=False) == hit
    assert via_cli(tmp_path, ["pkg"], capsys, monkeypatch, isolated=True) == set()


def test_module_bases_naming_a_project_class(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/layers.py": (
            "import torch\n"
            "from somelib import Unknown\n\n\n"
            "class BaseHead(Unknown):\n"
            "    pass\n\n\n"
            "class Detect(BaseHead):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.pe = torch.zeros(3)  # expect: TPC001\n"
        ),
        "pkg/model.py": subclass("from pkg.layers import BaseHead", "BaseHead", "  # expect: TPC001"),
    }
    write_tree(tmp_path, files)
    configured = Settings(module_bases=frozenset({"pkg.layers.BaseHead"}))
    checked = ["pkg/layers.py", "pkg/model.py"]
    assert via_analyze(tmp_path, files, checked, configured) == expected_in(files, checked)


def test_module_bases_reached_through_files_without_torch(tmp_path: Path) -> None:
    # Neither file mentions torch: model.py can hold a Module only through layers.py, whose base
    # is a configured library class.  The text-only pre-check must follow that too.
    files = {
        "pkg/__init__.py": "",
        "pkg/layers.py": (
            "from somelib import LibBase\n\n\n"
            "class BaseHead(LibBase):\n"
            "    pass\n\n\n"
            "class Block(LibBase):\n"
            "    pass\n"
        ),
        "pkg/model.py": (
            "from .layers import BaseHead, Block\n\n\n"
            "class Net(BaseHead):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.blocks = [Block(), Block()]  # expect: TPC003\n"
        ),
    }
    write_tree(tmp_path, files)
    configured = Settings(module_bases=frozenset({"somelib.LibBase"}))
    assert via_analyze(tmp_path, files, ["pkg/model.py"], DEFAULT) == set()
    assert via_analyze(tmp_path, files, ["pkg/model.py"], configured) == expected_in(files, ["pkg/model.py"])


def test_file_without_torch_reaching_it_through_any_import_form(tmp_path: Path) -> None:
    # model.py never mentions torch; each import form must still lead to layers.py, which does.
    layers = (
        "from torch import nn\n\n\n"
        "class Block(nn.Module):\n"
        "    pass\n"
    )
    forms = {
        "import os, pkg.layers": "pkg.layers.Block",
        "import os\nimport pkg.layers as lay": "lay.Block",
        "from pkg import (\n    os_path,\n    layers,\n)": "layers.Block",
        "from .layers import (\n    Block,\n)": "Block",
    }
    for number, (imports, base) in enumerate(forms.items()):
        files = {
            "pkg/__init__.py": "",
            "pkg/os_path.py": "",
            "pkg/layers.py": layers,
            "pkg/model.py": (
                f"{imports}\n\n\n"
                f"class Net({base}):\n"
                "    def __init__(self):\n"
                "        super().__init__()\n"
                f"        self.blocks = [{base}(), {base}()]  # expect: TPC003\n"
            ),
        }
        root = tmp_path / str(number)
        write_tree(root, files)
        assert via_analyze(root, files, ["pkg/model.py"], DEFAULT) == expected_in(files, ["pkg/model.py"]), imports


# -- source roots above the file's own (folders without __init__.py) ------------------------

#: The root of a checkout: nothing above it is looked at.
CHECKOUT_MARKER = "ref: refs/heads/main\n"
HIT = "  # expect: TPC001"


def test_namespace_packages_above_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """``repo/src/models/layers.py`` imported as ``models.layers``, no ``__init__.py`` anywhere:
    from ``src/train/`` (the script style, run from ``src/``), from a deeper folder, from the
    namespace package itself and from a file that never mentions torch.  Folders above the
    checkout's root (``.git``), and more than five folders up, are never looked at."""
    files: dict[str, str | bytes] = {
        "repo/.git/HEAD": CHECKOUT_MARKER,
        "repo/src/models/layers.py": LAYERS,
        "repo/src/models/plain.py": NOT_A_MODULE,
        "repo/src/models/heads.py": subclass("from models.layers import Block", "Block", HIT),
        "repo/src/train/model.py": subclass("from models.layers import Block", "Block", HIT),
        "repo/src/train/deeper/still/model.py": subclass("import models.layers as L", "L.Block", HIT),
        "repo/src/train/plain.py": subclass("from models.plain import Block", "Block", ""),
        "repo/src/train/no_torch.py": (
            "from models.layers import Block\n\n\n"
            "class Net(Block):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.blocks = [Block(), Block()]  # expect: TPC003\n"
        ),
        # Above the checkout: never a source root of its files.
        "outside/layers.py": LAYERS,
        "repo/src/train/outside.py": subclass("from outside.layers import Block", "Block", ""),
        # Six folders above the file's own: beyond the bound.
        "far/layers.py": LAYERS,
        "deep/a/b/c/d/e/model.py": subclass("from far.layers import Block", "Block", ""),
        "deep/a/b/c/near.py": subclass("from far.layers import Block", "Block", HIT),
    }
    checked = [rel for rel in files if rel.endswith(".py") and rel.startswith(("repo/src/", "deep/"))]
    expected = check_tree(tmp_path, files, capsys, monkeypatch, checked=checked, targets=["repo/src", "deep"])
    assert len(expected) == 5


def test_script_folder_importing_a_sibling(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A script imports its sibling by plain name (``from blocks import Block``: Python puts the
    script's folder first, so the sibling wins over a ``blocks.py`` above it); the sibling's base
    comes from a folder without ``__init__.py`` at the checkout's root."""
    files: dict[str, str | bytes] = {
        ".git/HEAD": CHECKOUT_MARKER,
        "blocks.py": NOT_A_MODULE,
        "models/base.py": LAYERS.replace("class Block", "class Base"),
        "tools/blocks.py": "from models.base import Base\n\n\nclass Block(Base):\n    pass\n",
        "tools/train.py": subclass("from blocks import Block", "Block", HIT),
    }
    check_tree(tmp_path, files, capsys, monkeypatch, checked=["tools/blocks.py", "tools/train.py"],
               targets=["tools"])


# -- star imports -----------------------------------------------------------------------------


def nets(imports: str, *classes: tuple[str, str, str]) -> str:
    """A file with ``imports`` and, for each (name, base, marker), a class storing a tensor."""
    text = f"import torch\n{imports}\n"
    for name, base, marker in classes:
        text += (
            f"\n\nclass {name}({base}):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            f"        self.pe = torch.zeros(3){marker}\n"
        )
    return text


STAR_LAYERS = LAYERS + """

class Other(nn.Module):
    pass


class _Private(nn.Module):
    pass
"""
LISTED = """\
from torch import nn
from .layers import Other as Renamed

__all__ = ["Exported"]
__all__ += ["Renamed"]


class Exported(nn.Module):
    pass


class Unlisted(nn.Module):
    pass
"""


def test_star_imports_with_and_without_all(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ``__all__`` a star import binds the public top-level names; with a literal one,
    exactly those it lists.  A file without torch reaches a Module through a star import too."""
    files: dict[str, str | bytes] = {
        ".git/HEAD": CHECKOUT_MARKER,
        "pkg/__init__.py": "",
        "pkg/layers.py": STAR_LAYERS,
        "pkg/listed.py": LISTED,
        "pkg/model.py": nets(
            "from .layers import *\nfrom pkg.listed import *",
            ("Net", "Block", HIT),
            ("Net2", "Other", HIT),
            ("Net3", "Exported", HIT),
            ("Net4", "Renamed", HIT),
            ("Net5", "Unlisted", ""),
            ("Net6", "_Private", ""),
        ),
        "pkg/no_torch.py": (
            "from .layers import *\n\n\n"
            "class Net(Block):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.blocks = [Block(), Other()]  # expect: TPC003\n"
        ),
    }
    expected = check_tree(tmp_path, files, capsys, monkeypatch)
    assert len(expected) == 5


def test_star_reexport_through_package_init(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    files: dict[str, str | bytes] = {
        ".git/HEAD": CHECKOUT_MARKER,
        "pkg/__init__.py": "from .layers import *\nfrom .heads import *\n",
        "pkg/layers.py": LAYERS,
        "pkg/heads.py": (
            "from .layers import Block\n\n"
            "__all__ = ('Head',)\n\n\n"
            "class Head(Block):\n"
            "    pass\n"
        ),
        "pkg/model.py": subclass("from pkg import Block", "Block", HIT),
        "pkg/model2.py": nets("from pkg import *", ("Net", "Head", HIT), ("Net2", "Block", HIT)),
        "app/main.py": nets("from pkg import Head", ("App", "Head", HIT)),
    }
    expected = check_tree(tmp_path, files, capsys, monkeypatch, targets=["pkg", "app"])
    assert len(expected) == 4


def test_star_import_cycles_terminate(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """``a`` and ``b`` star-import each other, ``c`` itself and ``d``, which imports ``c``: names
    they bind resolve, a name none binds stays unknown, and nothing hangs."""
    files: dict[str, str | bytes] = {
        ".git/HEAD": CHECKOUT_MARKER,
        "pkg/__init__.py": "from .b import *\n",
        "pkg/a.py": (
            "import torch\nfrom torch import nn\nfrom .b import *\n\n\nclass A(nn.Module):\n    pass\n"
        ),
        "pkg/b.py": (
            "from .a import *\n\n\n"
            "class B(A):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.blocks = [A(), A()]  # expect: TPC003\n"
        ),
        "pkg/c.py": "from .c import *\nfrom .d import *\n",
        "pkg/d.py": "from pkg.c import *\n",
        "pkg/model.py": nets(
            "from .c import *\nfrom .b import *",
            ("Net", "A", HIT),
            ("Net2", "B", HIT),
            ("Net3", "Missing", ""),
        ),
        # ``c`` comes last here, and what its loop binds is not known: ``B`` stays unknown too.
        "pkg/model2.py": nets(
            "from pkg import *\nfrom .c import *", ("Net", "Missing", ""), ("Net2", "B", "")
        ),
        "pkg/model3.py": nets("from .c import *\nfrom pkg import *", ("Net", "B", HIT)),
    }
    check_tree(tmp_path, files, capsys, monkeypatch)


def test_star_imported_name_rebound(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The last star import wins, and a name the file binds itself (in any way, anywhere) is never
    taken from a star import."""
    star = "from .layers import *"
    files: dict[str, str | bytes] = {
        ".git/HEAD": CHECKOUT_MARKER,
        "pkg/__init__.py": "",
        "pkg/layers.py": LAYERS,
        "pkg/plain.py": NOT_A_MODULE,
        "pkg/good.py": nets(star, ("Net", "Block", HIT)),
        "pkg/order1.py": nets(f"from .plain import *\n{star}", ("Net", "Block", HIT)),
        "pkg/order2.py": nets(f"{star}\nfrom .plain import *", ("Net", "Block", "")),
        "pkg/explicit.py": nets(f"{star}\nfrom .plain import Block", ("Net", "Block", "")),
        "pkg/assigned.py": nets(f"{star}\nBlock = object", ("Net", "Block", "")),
        "pkg/conditional.py": nets(f"{star}\nif torch.cuda.is_available():\n    Block = object",
                                   ("Net", "Block", "")),
        "pkg/loop.py": nets(f"{star}\nfor Block in (object,):\n    pass", ("Net", "Block", "")),
        "pkg/handler.py": nets(f"{star}\ntry:\n    pass\nexcept Exception as Block:\n    pass",
                               ("Net", "Block", "")),
        "pkg/dynamic.py": nets(f"{star}\nglobals()['Block'] = object", ("Net", "Block", "")),
        "pkg/parameter.py": (
            f"import torch\n{star}\n\n\n"
            "def build(Block):\n"
            "    class Net(Block):\n"
            "        def __init__(self):\n"
            "            super().__init__()\n"
            "            self.pe = torch.zeros(3)\n\n"
            "    return Net\n"
        ),
    }
    expected = check_tree(tmp_path, files, capsys, monkeypatch)
    assert {rel for rel, *_ in expected} == {"pkg/good.py", "pkg/order1.py"}


def test_star_imports_from_outside_the_tree(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """``from torch.nn import *``: a name nothing else can bind is torch's, as if imported by
    name; a builtin (``Exception``, ``max``) is never taken from it, nor a name another star
    import may bind as well, unless torch surely binds it (``Module``, ``zeros``)."""
    files: dict[str, str | bytes] = {
        ".git/HEAD": CHECKOUT_MARKER,
        "pkg/__init__.py": "",
        "pkg/nn_star.py": (
            "import torch\n"
            "from torch.nn import *\n\n\n"
            "class Net(Module):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.pe = torch.zeros(3)  # expect: TPC001\n"
            "        self.w = Parameter(torch.ones(3))\n"
            "        self.layers = [Linear(2, 2)]  # expect: TPC003\n\n\n"
            "class Layer(Linear):\n"
            "    def __init__(self):\n"
            "        super().__init__(2, 2)\n"
            "        self.pe = torch.zeros(3)  # expect: TPC001\n\n\n"
            "class Error(Exception):\n"
            "    def __init__(self):\n"
            "        self.pe = torch.zeros(3)\n"
        ),
        "pkg/torch_star.py": (
            "from torch import *\n"
            "from torch import nn\n\n\n"
            "class Net(nn.Module):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.pe = zeros(3)  # expect: TPC001\n"
            "        self.n = max(ones(3))\n"
        ),
        "pkg/two_stars.py": nets(
            "from somelib import *\nfrom torch.nn import *",
            ("Net", "Module", HIT),
            ("Net2", "Linear", ""),
        ),
        "pkg/typing_star.py": nets("from typing import *\nfrom torch.nn import *", ("Net", "NamedTuple", "")),
        "pkg/lib_star.py": nets("from somelib import *", ("Net", "LibBase", "")),
    }
    check_tree(tmp_path, files, capsys, monkeypatch)
    configured = Settings(module_bases=frozenset({"somelib.LibBase"}))
    hit = {("pkg/lib_star.py", 8, 9, "TPC001")}
    assert via_analyze(tmp_path, files, ["pkg/lib_star.py"], configured) == hit


# -- each file is read once per process -------------------------------------------------------


def test_each_imported_file_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "pkg/__init__.py": "from .layers import Block\n",
        "pkg/layers.py": REGISTERING_BASE.replace("class Base", "class Block"),
        "pkg/utils.py": UTILS,
    }
    for number in range(4):
        files[f"pkg/model{number}.py"] = (
            "import torch\n"
            "from pkg import Block\n"
            "from .layers import Block as Again\n"
            "from .utils import sinusoid_table\n"
            "from . import utils\n\n\n"
            f"class Net{number}(Block):\n"
            "    def __init__(self):\n"
            "        super().__init__()\n"
            "        self.x = sinusoid_table(3)  # expect: TPC001\n"
            "        self.y = utils.through(3)  # expect: TPC001\n"
            "        self.pe = torch.ones(3)\n"
        )
    write_tree(tmp_path, files)
    reads: dict[str, int] = {}
    real = project.read_source

    def counting(path: str) -> str:
        rel = Path(path).relative_to(tmp_path).as_posix()
        reads[rel] = reads.get(rel, 0) + 1
        return real(path)

    monkeypatch.setattr(project, "read_source", counting)
    checked = [f"pkg/model{number}.py" for number in range(4)]
    assert via_analyze(tmp_path, files, checked, DEFAULT) == expected_in(files, checked)
    assert reads == {"pkg/__init__.py": 1, "pkg/layers.py": 1, "pkg/utils.py": 1}
    # Analysing the same files again in the same process reads nothing more.
    for rel in checked:
        analyze(files[rel], path=str(tmp_path / rel))
    assert reads == {"pkg/__init__.py": 1, "pkg/layers.py": 1, "pkg/utils.py": 1}
    # clear_cache() forgets them.
    project.clear_cache()
    analyze(files[checked[0]], path=str(tmp_path / checked[0]))
    assert reads == {"pkg/__init__.py": 2, "pkg/layers.py": 2, "pkg/utils.py": 2}


def test_an_override_a_base_init_in_another_file_calls(tmp_path: Path) -> None:
    """The base class's ``__init__`` (in another file of the tree) calls ``self.build()``: the
    subclass's override runs during construction, and what the base registers in its own
    ``build`` no longer counts for the subclass."""
    files = {
        "pkg/__init__.py": "",
        "pkg/base.py": "import torch\nfrom torch import nn\n\n\nclass Base(nn.Module):\n"
                       "    def __init__(self, n):\n        super().__init__()\n        self.build(n)\n\n"
                       "    def build(self, n):\n        self.register_buffer('table', torch.zeros(n))\n",
        "pkg/child.py": "import torch\n\nfrom .base import Base\n\n\nclass Child(Base):\n"
                        "    def build(self, n):\n        self.table = torch.ones(n)\n\n\n"
                        "class Kept(Base):\n    def __init__(self, n):\n        super().__init__(n)\n"
                        "        self.table = torch.ones(n)\n",
    }
    write_tree(tmp_path, files)
    child = tmp_path / "pkg" / "child.py"
    found = analyze(child.read_text(), path=str(child)).findings
    # Child's override runs in Base.__init__: TPC001.  Kept assigns to the buffer Base's build
    # registered: an update, no finding.
    assert [(f.line, f.code, f.attr) for f in found] == [(8, "TPC001", "table")]
    done = subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select=TPC",
                           "--format=%(path)s:%(row)d:%(code)s", "pkg"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.stdout.split() == ["pkg/child.py:8:TPC001"], done.stdout + done.stderr
