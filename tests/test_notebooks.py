"""Jupyter notebooks: the code cells read as Python (magics left out, lines kept), findings per
cell in every format, the fixer's byte-exact rewrite of the JSON, and the routes that reach them:
the CLI, ``python -m flake8_param_check`` and nbqa (for the CLI and for flake8)."""

from __future__ import annotations

import ast
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from flake8_param_check import cli
from flake8_param_check.codes import CODES
from flake8_param_check.discovery import discover
from flake8_param_check.notebook import NotebookError, _cell_sources, parse_notebook, python_lines
from flake8_param_check.notebook import python_source

from cli_helpers import run_main, write

DATA = Path(__file__).parent / "data"
IRREGULAR = DATA / "notebooks" / "irregular.ipynb"
SCHEMA = DATA / "sarif-schema-2.1.0.json"

IMPORTS = "import torch\nfrom torch import nn\n"
MODEL = (
    "class Net(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.mask = torch.ones(3)\n"
    "        self.heads = [nn.Linear(4, 1) for _ in range(2)]\n"
    "\n"
    "net = Net()"
)
FIXED_MODEL = MODEL.replace(
    "self.mask = torch.ones(3)", 'self.register_buffer("mask", torch.ones(3), persistent=False)'
).replace("[nn.Linear(4, 1) for _ in range(2)]", "nn.ModuleList([nn.Linear(4, 1) for _ in range(2)])")
TPC001 = CODES["TPC001"].message(attr="mask")
TPC003 = CODES["TPC003"].message(attr="heads", container="list", fix="ModuleList")

#: Outputs a notebook carries, with what a JSON writer may escape or not.
OUTPUTS: list[dict[str, Any]] = [
    {
        "name": "stdout",
        "output_type": "stream",
        "text": ["caf\u00e9 \u2028 \U0001f600 \x1b[31mred\x1b[0m \x00\n"],
    },
    {
        "data": {"image/png": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ\n", "text/plain": ["<Figure>"]},
        "execution_count": 1,
        "metadata": {},
        "output_type": "execute_result",
    },
    {"ename": "E", "evalue": "bad", "output_type": "error", "traceback": ["\x1b[0;31mE\x1b[0m"]},
]


def cell(source: str, kind: str = "code", *, minor: int = 5, number: int = 0,
         outputs: list[dict[str, Any]] | None = None, as_string: bool = False) -> dict[str, Any]:
    """A cell as nbformat 4.``minor`` writes it."""
    made: dict[str, Any] = {"cell_type": kind, "metadata": {}}
    made["source"] = source if as_string else source.splitlines(True)
    if minor >= 5:
        made["id"] = f"cell-{number}"
    if kind == "code":
        made["execution_count"] = None
        made["outputs"] = outputs or []
    return made


def notebook(*sources: str | tuple[str, str], minor: int = 5, indent: int | None = 1, as_string: bool = False,
             language: str = "python", outputs: list[dict[str, Any]] | None = None) -> str:
    """A notebook's JSON as nbformat (and Jupyter) write it: sorted keys, ``indent`` spaces, raw
    non-ASCII, a final newline.  A source is a code cell, or a ``(kind, source)`` pair."""
    cells = []
    for number, item in enumerate(sources):
        kind, source = item if isinstance(item, tuple) else ("code", item)
        cells.append(cell(source, kind, minor=minor, number=number, outputs=outputs, as_string=as_string))
    metadata = {
        "kernelspec": {"display_name": language, "language": language, "name": language},
        "language_info": {"name": language},
    }
    document = {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": minor}
    return json.dumps(document, indent=indent, sort_keys=True, ensure_ascii=False) + "\n"


def run_process(*argv: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *argv], cwd=cwd, input=stdin, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


BUGGY = notebook(("markdown", "# A model\n"), IMPORTS, "", MODEL)
BUGGY_FINDINGS = f"model.ipynb:cell_4:4:9: {TPC001}\nmodel.ipynb:cell_4:5:9: {TPC003}\n"


# -- reading ----------------------------------------------------------------------------------


def test_the_issue_notebook_is_checked_not_read_as_python(capsys: pytest.CaptureFixture[str]) -> None:
    write(Path("model.ipynb"), BUGGY)
    assert run_main(capsys, "model.ipynb") == (1, BUGGY_FINDINGS, "")


def test_cells_are_numbered_over_all_cells_like_ruff(capsys: pytest.CaptureFixture[str]) -> None:
    """Markdown, raw and empty cells count: the number is the cell's position in the notebook."""
    text = notebook(("markdown", "intro"), ("raw", "raw"), IMPORTS, ("markdown", "more"), "", "x = 1", MODEL)
    write(Path("model.ipynb"), text)
    code, out, _ = run_main(capsys, "model.ipynb")
    assert [line.split(": ")[0] for line in out.splitlines()] == [
        "model.ipynb:cell_7:4:9", "model.ipynb:cell_7:5:9"
    ]


@pytest.mark.parametrize(
    "source, expected",
    [
        ("%matplotlib inline\nx = 1", ["\n", "x = 1"]),
        ("!pip install torch\n!!ls\n", ["\n", "\n"]),
        ("?torch.ones\ntorch.ones?\ntorch.ones??\n%timeit?\n", ["\n"] * 4),
        ("files = !ls\nout = %time f()\nx == !y\n", ["\n", "\n", "x == !y\n"]),
        ("for i in range(2):\n    !echo $i\n", ["for i in range(2):\n", "    pass\n"]),
        ("%time f(1, \\\n        2)\nx = 1\n", ["\n", "\n", "x = 1\n"]),
        ("/print 1 2\n,print a b\n;print a\n", ["\n"] * 3),
        # not escapes: inside brackets, strings and continued lines, or not at a statement's start
        ("x = (a\n     % b)\ny = (c\n     != d)\n", ["x = (a\n", "     % b)\n", "y = (c\n", "     != d)\n"]),
        ('s = """\n%not magic\n!nor this\n"""\n', ['s = """\n', "%not magic\n", "!nor this\n", '"""\n']),
        ("s = 'a' \\\n    '%b'\nt = 1 + \\\n  2\n", ["s = 'a' \\\n", "    '%b'\n", "t = 1 + \\\n", "  2\n"]),
        ("x = 'it''s'  # %comment\n!ls\n", ["x = 'it''s'  # %comment\n", "\n"]),
        ("%%time\nx = 1\n!ls\n", ["\n", "x = 1\n", "\n"]),
        ("%%timeit -n 10 setup()\nf()\n", ["\n", "f()\n"]),
        ("# a comment first\n%%capture out\nx = 1\n", ["\n", "\n", "x = 1\n"]),
        ("%%bash\necho hi\nfor x in 1; do :; done\n", ["\n", "\n", "\n"]),
        ("%%writefile model.py\nclass M(nn.Module): ...\n", ["\n", "\n"]),
        ("%%time\n%%bash\necho hi\n", ["\n", "\n", "\n"]),
        ("x = 1\r\n%ls\r\ny = 2", ["x = 1\r\n", "\r\n", "y = 2"]),
    ],
    ids=lambda value: repr(value)[:30] if isinstance(value, str) else None,
)
def test_magics_are_left_out_without_moving_lines(source: str, expected: list[str]) -> None:
    assert python_lines(source) == expected


def test_magics_around_a_model(capsys: pytest.CaptureFixture[str]) -> None:
    """Findings in a %%time cell and after magics keep their lines; a %%writefile cell is not run."""
    writefile = "%%writefile other.py\n" + IMPORTS + MODEL.replace("Net", "Other")
    timed = "%%time\n" + MODEL.replace("self.mask", "!echo building\n        self.mask")
    first = "%matplotlib inline\n!pip install torch\n" + IMPORTS
    text = notebook(first, writefile, timed, "Net?\nfiles = !ls")
    write(Path("model.ipynb"), text)
    code, out, err = run_main(capsys, "model.ipynb")
    assert (code, err) == (1, "")
    assert out == f"model.ipynb:cell_3:6:9: {TPC001}\nmodel.ipynb:cell_3:7:9: {TPC003}\n"


def test_a_cell_that_does_not_parse_is_named_and_others_checked(capsys: pytest.CaptureFixture[str]) -> None:
    text = notebook(IMPORTS, "def broken(:\n    pass\n", MODEL, "for x in\n")
    write(Path("model.ipynb"), text)
    code, out, err = run_main(capsys, "model.ipynb")
    assert code == 1
    assert out == BUGGY_FINDINGS.replace("cell_4", "cell_3")
    assert err == (
        "model.ipynb: error: cell_2: SyntaxError: invalid syntax (line 1); "
        "cell_4: SyntaxError: invalid syntax (line 1)\n"
    )


def test_a_future_import_in_a_later_cell(capsys: pytest.CaptureFixture[str]) -> None:
    """Jupyter compiles each cell alone, so this is valid there: not an error here either."""
    write(Path("model.ipynb"), notebook(IMPORTS, "from __future__ import annotations\n" + MODEL))
    code, out, err = run_main(capsys, "model.ipynb")
    assert (code, err) == (1, "") and out.count("cell_2:") == 2


def test_cells_that_parse_alone_but_not_together(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never seen, but never trusted: the cell the joined source fails in is left out and named."""
    real = ast.parse
    text = notebook(IMPORTS, "x = 1\ny = 2\n", MODEL)

    def parse(source: str, *args: Any, **kwargs: Any) -> ast.Module:
        if source.startswith(IMPORTS + "x = 1\n"):
            raise SyntaxError("made up", ("<unknown>", 4, 1, "y = 2\n"))
        return real(source, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", parse)
    source = python_source(parse_notebook(text))
    assert source.errors == ["cell_2: SyntaxError: made up (line 2)"]
    assert source.text == IMPORTS + "\n\n" + MODEL + "\n"
    assert source.blanked == [False, True, False]


def test_a_cell_must_parse_alone() -> None:
    """An indented first line does not continue the class of the cell before it."""
    source = python_source(parse_notebook(notebook(IMPORTS + MODEL, "        self.extra = torch.ones(2)\n")))
    assert source.errors == ["cell_2: IndentationError: unexpected indent (line 1)"]


@pytest.mark.parametrize(
    "data, why",
    [
        (b"import torch\n", "not a notebook: invalid JSON: Expecting value: line 1 column 1 (char 0)"),
        (b"", "not a notebook: invalid JSON: Expecting value: line 1 column 1 (char 0)"),
        (b"[1, 2]", "not a notebook: the JSON is not an object"),
        (b'{"nbformat": 3, "worksheets": []}', "nbformat 3 is not supported; convert it: "
         "jupyter nbconvert --to notebook --nbformat 4"),
        (b'{"cells": []}', "not a notebook: nbformat None (expected 4)"),
        (b'{"nbformat": 4, "metadata": {}}', "not a notebook: no list of cells"),
        (b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": 3}]}',
         "not a notebook: the source of cell_1 is not text"),
        (b'{"nbformat": 4, "cells": [{"source": []}]}', "not a notebook: cell_1 has no cell_type"),
        (b'{"nbformat": 4, "cells": [{"cell_type": "code"}]}', "not a notebook: cell_1 has no source"),
        (b'{"nbformat": 4, "cells": [], "x": "\xff"}', "not a notebook: not UTF-8 ('utf-8' codec can't "
         "decode byte 0xff in position 35: invalid start byte)"),
    ],
    ids=["python", "empty", "list", "nbformat3", "no-nbformat", "no-cells", "source", "no-type", "no-source",
         "bytes"],
)
def test_an_invalid_notebook_gets_one_clear_error_line(
    capsys: pytest.CaptureFixture[str], data: bytes, why: str
) -> None:
    write(Path("bad.ipynb"), data)
    assert run_main(capsys, "bad.ipynb") == (0, "", f"bad.ipynb: error: {why}\n")


def test_the_suffix_decides_never_the_content(capsys: pytest.CaptureFixture[str]) -> None:
    """A notebook's JSON in a .py file is Python (a dict display); Python in a .ipynb is an error."""
    write(Path("json_in.py"), BUGGY)
    write(Path("code_in.ipynb"), IMPORTS + MODEL)
    code, out, err = run_main(capsys, "json_in.py", "code_in.ipynb")
    assert (code, out) == (0, "")
    assert err.startswith("code_in.ipynb: error: not a notebook: invalid JSON: Expecting value: line 1")


def test_notebooks_in_other_languages_are_left_alone(capsys: pytest.CaptureFixture[str]) -> None:
    write(Path("r.ipynb"), notebook(IMPORTS + MODEL, language="R"))
    polyglot = json.loads(notebook(IMPORTS, MODEL))
    polyglot["cells"][1]["metadata"] = {"vscode": {"languageId": "sql"}}
    write(Path("sql.ipynb"), json.dumps(polyglot))
    assert run_main(capsys, "r.ipynb", "sql.ipynb") == (0, "", "")


def test_empty_and_markdown_only_notebooks(capsys: pytest.CaptureFixture[str]) -> None:
    write(Path("empty.ipynb"), notebook())
    write(Path("prose.ipynb"), notebook(("markdown", "# Only prose\n"), "", "   \n"))
    assert run_main(capsys, "empty.ipynb", "prose.ipynb") == (0, "", "")
    assert run_main(capsys, "--fix", "empty.ipynb", "prose.ipynb")[:2] == (0, "")
    assert Path("empty.ipynb").read_text() == notebook()


def test_a_class_redefined_in_a_later_cell(capsys: pytest.CaptureFixture[str]) -> None:
    write(Path("model.ipynb"), notebook(IMPORTS, MODEL, MODEL))
    assert run_main(capsys, "model.ipynb")[1].count("TPC001") == 2
    # Two findings in each class (TPC001 and TPC003), all fixed in one run.
    assert run_main(capsys, "--fix", "model.ipynb")[2].endswith("4 findings fixed, 0 findings left\n")


def test_noqa_works_per_line_in_a_cell(capsys: pytest.CaptureFixture[str]) -> None:
    silenced = MODEL.replace("torch.ones(3)\n", "torch.ones(3)  # noqa: TPC001\n")
    write(Path("model.ipynb"), notebook(IMPORTS, silenced))
    assert run_main(capsys, "model.ipynb")[1] == f"model.ipynb:cell_2:5:9: {TPC003}\n"
    assert run_main(capsys, "--fix", "model.ipynb")[:2] == (0, "")
    [_, fixed] = json.loads(Path("model.ipynb").read_text())["cells"]
    assert "torch.ones(3)  # noqa: TPC001" in fixed["source"][3]
    write(Path("skipped.ipynb"), notebook("# flake8: noqa\n" + IMPORTS, MODEL))
    assert run_main(capsys, "skipped.ipynb") == (0, "", "")


def test_cross_file_resolution_from_a_notebook(capsys: pytest.CaptureFixture[str]) -> None:
    """``from model import Net`` reads model.py beside the notebook, as for a .py file there."""
    write(Path("project/model.py"), IMPORTS + "\n\nclass Net(nn.Module):\n    pass\n")
    head = "class Head(Net):\n    def __init__(self):\n        super().__init__()\n"
    head += "        self.t = torch.ones(2)\n"
    write(Path("project/explore.ipynb"), notebook("import torch\nfrom model import Net\n", head))
    write(Path("project/explore.py"), "import torch\nfrom model import Net\n\n\n" + head)
    code, out, _ = run_main(capsys, "project")
    tpc001 = CODES["TPC001"].message(attr="t")
    assert out == f"{os.path.join('project', 'explore.ipynb')}:cell_2:4:9: {tpc001}\n" \
                  f"{os.path.join('project', 'explore.py')}:8:9: {tpc001}\n"


def test_stdin_is_a_notebook_by_its_display_name(tmp_path: Path) -> None:
    done = run_process("-m", "flake8_param_check", "--isolated", "--stdin-display-name", "model.ipynb", "-",
                       cwd=tmp_path, stdin=BUGGY)
    assert (done.returncode, done.stdout, done.stderr) == (1, BUGGY_FINDINGS, "")


# -- formats ----------------------------------------------------------------------------------


def test_json_names_the_cell(capsys: pytest.CaptureFixture[str]) -> None:
    write(Path("model.ipynb"), BUGGY)
    write(Path("model.py"), IMPORTS + MODEL)
    items = json.loads(run_main(capsys, "--format", "json", "model.ipynb", "model.py")[1])
    assert [(i["path"], i["cell"], i["line"], i["column"], i["code"]) for i in items] == [
        ("model.ipynb", 4, 4, 9, "TPC001"), ("model.ipynb", 4, 5, 9, "TPC003"),
        ("model.py", None, 6, 9, "TPC001"), ("model.py", None, 7, 9, "TPC003"),
    ]


def test_github_points_at_the_line_of_the_json_file(capsys: pytest.CaptureFixture[str]) -> None:
    write(Path("model.ipynb"), BUGGY)
    lines = Path("model.ipynb").read_text().splitlines()
    out = run_main(capsys, "--format", "github", "model.ipynb")[1].splitlines()
    line = lines.index('    "        self.mask = torch.ones(3)\\n",') + 1
    text = TPC001.split(" ", 1)[1]
    assert out[0] == f"::error file=model.ipynb,line={line},title=TPC001::cell_4:4:9: {text}"
    assert out[1].startswith(f"::error file=model.ipynb,line={line + 1},title=TPC003::cell_4:5:9: ")


def test_sarif_region_and_cell(capsys: pytest.CaptureFixture[str]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    write(Path("model.ipynb"), notebook(IMPORTS, MODEL, as_string=True))
    document = json.loads(run_main(capsys, "--format", "sarif", "model.ipynb")[1])
    jsonschema.Draft4Validator(json.loads(SCHEMA.read_text(encoding="utf-8"))).validate(document)
    first = document["runs"][0]["results"][0]
    location = first["locations"][0]
    text = Path("model.ipynb").read_text()
    # a source given as one string is on one line of the file
    line = text[: text.index('"class Net')].count("\n") + 1
    assert location["physicalLocation"]["region"] == {"startLine": line}
    assert location["logicalLocations"] == [{"name": "cell_2", "kind": "object"}]
    assert first["properties"] == {"cell": 2, "cellLine": 4, "cellColumn": 9}
    assert first["message"]["text"].startswith("cell_2:4:9: tensor 'self.mask'")


# -- finding notebooks ------------------------------------------------------------------------


def test_folders_are_searched_for_notebooks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(Path("src/a.py"), IMPORTS + MODEL)
    write(Path("src/b.ipynb"), BUGGY)
    write(Path("src/.ipynb_checkpoints/b-checkpoint.ipynb"), BUGGY)
    write(Path("src/notes.json"), "{}")
    both = [os.path.join("src", "a.py"), os.path.join("src", "b.ipynb")]
    assert discover(["src"]) == both
    assert discover(["src"], notebooks=False) == both[:1]
    assert discover(["src/b.ipynb"], notebooks=False) == []  # named or found: left out
    assert run_main(capsys, "--no-notebooks", "src")[1].count("b.ipynb") == 0
    assert run_main(capsys, "--extend-exclude", "*.ipynb", "src")[1].count("b.ipynb") == 0
    assert run_main(capsys, "src")[1].count("b.ipynb") == 2


@pytest.mark.parametrize(
    "name, config",
    [
        ("setup.cfg", "[flake8]\nparam-check-notebooks = false\n"),
        ("pyproject.toml", "[tool.flake8-param-check]\nnotebooks = false\n"),
        ("pyproject.toml", '[tool.flake8-param-check]\nparam-check-notebooks = "no"\n'),
    ],
)
def test_notebooks_option_in_the_configuration(
    name: str, config: str, capsys: pytest.CaptureFixture[str]
) -> None:
    write(Path(name), config)
    write(Path("b.ipynb"), BUGGY)
    assert cli.main(["-j", "1", "."]) == 0
    assert cli.main(["-j", "1", "--notebooks", "."]) == 1  # the command line wins
    write(Path(name), config.replace("false", '"maybe"' if name.endswith(".toml") else "maybe"))
    write(Path(name), Path(name).read_text().replace('"no"', '"maybe"'))
    assert cli.main(["-j", "1", "."]) == 2
    assert "notebooks must be true or false, not 'maybe'" in capsys.readouterr().err


# -- fixing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("minor", [0, 1, 2, 3, 4, 5])
@pytest.mark.parametrize("indent, as_string", [(1, False), (2, False), (4, True), (None, False)],
                         ids=["nbformat", "indent2-colab", "indent4-string", "compact"])
def test_fix_round_trip_per_nbformat(
    minor: int, indent: int | None, as_string: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    """The fixed file is exactly the notebook written with the fixed source; a second run is a no-op."""
    cells = (("markdown", "# Title\n"), "%matplotlib inline\n" + IMPORTS, "", MODEL, ("raw", "raw\n"), "net")
    options = dict(minor=minor, indent=indent, as_string=as_string, outputs=OUTPUTS)
    write(Path("model.ipynb"), notebook(*cells, **options))  # type: ignore[arg-type]
    code, out, err = run_main(capsys, "--fix", "model.ipynb")
    assert (code, out) == (0, "")
    assert err == "flake8-param-check: 1 file changed, 2 findings fixed, 0 findings left\n"
    fixed = cells[:3] + (FIXED_MODEL,) + cells[4:]
    assert Path("model.ipynb").read_bytes() == notebook(*fixed, **options).encode()  # type: ignore[arg-type]
    assert run_main(capsys, "--fix", "model.ipynb") == (
        0, "", "flake8-param-check: 0 files changed, 0 findings fixed, 0 findings left\n"
    )
    assert run_main(capsys, "model.ipynb") == (0, "", "")


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_fix_keeps_everything_else_byte_for_byte(newline: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Odd key order and layout, tabs, outputs with escapes, a lone surrogate, a NUL, raw emoji, no
    final newline: only the two changed sources differ, and only in their changed lines."""
    original = IRREGULAR.read_text(encoding="utf-8").replace("\n", newline)
    path = write(Path("irregular.ipynb"), original.encode("utf-8"))
    code, out, err = run_main(capsys, "--fix", "irregular.ipynb")
    assert (code, out) == (0, "")
    assert err == "flake8-param-check: 1 file changed, 3 findings fixed, 0 findings left\n"
    expected = (
        original.replace(
            "        self.mask = torch.ones(3)\\n",
            '        self.register_buffer(\\"mask\\", torch.ones(3), persistent=False)\\n',
        )
        .replace("[nn.Linear(4, 1) for _ in range(2)]", "nn.ModuleList([nn.Linear(4, 1) for _ in range(2)])")
        .replace('"        self.scale = torch.ones(1, requires_grad=True)\\n"',
                 '"        self.scale = nn.Parameter(torch.ones(1))\\n"')
    )
    assert path.read_bytes() == expected.encode("utf-8")
    assert run_main(capsys, "--fix", "irregular.ipynb")[0] == 0 and path.read_bytes() == expected.encode()


def test_fix_keeps_a_byte_order_mark(capsys: pytest.CaptureFixture[str]) -> None:
    path = write(Path("model.ipynb"), b"\xef\xbb\xbf" + BUGGY.encode())
    assert run_main(capsys, "--fix", "model.ipynb")[0] == 0
    fixed = notebook(("markdown", "# A model\n"), IMPORTS, "", FIXED_MODEL)
    assert path.read_bytes() == b"\xef\xbb\xbf" + fixed.encode()


def test_fix_adds_the_nn_import_to_the_cell_of_the_imports(capsys: pytest.CaptureFixture[str]) -> None:
    imports = "%load_ext autoreload\nfrom torch.nn import Linear, Module"
    model = (
        "class Net(Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.heads = [Linear(4, 1), Linear(4, 2)]\n"
    )
    write(Path("model.ipynb"), notebook(("markdown", "intro"), imports, model))
    assert run_main(capsys, "--fix", "model.ipynb")[:2] == (0, "")
    cells = json.loads(Path("model.ipynb").read_text())["cells"]
    assert "".join(cells[1]["source"]) == imports + "\nfrom torch import nn"
    assert "".join(cells[2]["source"]) == model.replace("[Linear(4, 1), Linear(4, 2)]",
                                                        "nn.ModuleList([Linear(4, 1), Linear(4, 2)])")
    assert run_main(capsys, "model.ipynb") == (0, "", "")


def test_fix_keeps_magics_and_broken_cells(capsys: pytest.CaptureFixture[str]) -> None:
    model = "%%time\n" + MODEL.replace("        self.heads", "        !echo $HOME\n        self.heads")
    broken = "def broken(:\n    pass\n"
    write(Path("model.ipynb"), notebook(IMPORTS, broken, model))
    code, out, err = run_main(capsys, "--fix", "model.ipynb")
    assert (code, out) == (0, "")
    assert err.splitlines() == [
        "model.ipynb: error: cell_2: SyntaxError: invalid syntax (line 1)",
        "flake8-param-check: 1 file changed, 2 findings fixed, 0 findings left",
    ]
    fixed = "%%time\n" + FIXED_MODEL.replace("        self.heads", "        !echo $HOME\n        self.heads")
    assert Path("model.ipynb").read_text() == notebook(IMPORTS, broken, fixed)


def test_diff_shows_cell_hunks(capsys: pytest.CaptureFixture[str]) -> None:
    write(Path("model.ipynb"), BUGGY)
    code, out, err = run_main(capsys, "--diff", "model.ipynb")
    assert code == 1
    assert out == (
        "--- a/model.ipynb:cell_4\n"
        "+++ b/model.ipynb:cell_4\n"
        "@@ -1,7 +1,7 @@\n"
        " class Net(nn.Module):\n"
        "     def __init__(self):\n"
        "         super().__init__()\n"
        "-        self.mask = torch.ones(3)\n"
        "-        self.heads = [nn.Linear(4, 1) for _ in range(2)]\n"
        '+        self.register_buffer("mask", torch.ones(3), persistent=False)\n'
        "+        self.heads = nn.ModuleList([nn.Linear(4, 1) for _ in range(2)])\n"
        " \n"
        " net = Net()\n"
        "\\ No newline at end of file\n"
    )
    assert err == "flake8-param-check: 1 file would change, 2 findings would fix, 0 findings left\n"
    assert Path("model.ipynb").read_text() == BUGGY


def test_fix_read_only_notebook_is_one_error(capsys: pytest.CaptureFixture[str]) -> None:
    path = write(Path("model.ipynb"), BUGGY)
    path.chmod(0o444)
    code, out, err = run_main(capsys, "--fix", "model.ipynb")
    assert (code, out) == (1, BUGGY_FINDINGS)
    assert err.splitlines()[0] == "model.ipynb: error: cannot write: the file is read-only"
    assert path.read_text() == BUGGY and stat.S_IMODE(path.stat().st_mode) == 0o444


def test_a_change_is_never_mapped_onto_a_magic_or_a_cell_without_python() -> None:
    source = python_source(parse_notebook(notebook("x = 1\n!ls\ny = 2\n", "%%bash\necho\n")))
    assert source.text == "x = 1\n\ny = 2\n\n\n"
    with pytest.raises(NotebookError, match="would replace a magic of cell_1"):
        _cell_sources(source, "x = 1\nz = 0\ny = 2\n\n\n")
    with pytest.raises(NotebookError, match="falls in cell_2, not Python"):
        _cell_sources(source, "x = 1\n\ny = 2\n\nz = 0\n\n")
    assert _cell_sources(source, "x = 1\n\ny = 3\n\n\n") == {0: "x = 1\n!ls\ny = 3\n"}


# -- routes -----------------------------------------------------------------------------------


def _nbqa(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("nbqa")
    return run_process("-m", "nbqa", *argv, cwd=tmp_path)


def test_nbqa_runs_the_cli_by_its_module_name(tmp_path: Path) -> None:
    """nbqa numbers the code cells only: the model is its cell_3 (our cell_4)."""
    write(tmp_path / "model.ipynb", BUGGY)
    done = _nbqa(tmp_path, "flake8_param_check", "model.ipynb", "--isolated")
    assert done.returncode == 1, done.stderr
    assert done.stdout == BUGGY_FINDINGS.replace("cell_4", "cell_3")


def test_nbqa_flake8_reports_the_plugins_codes(tmp_path: Path) -> None:
    write(tmp_path / "model.ipynb", BUGGY)
    done = _nbqa(tmp_path, "flake8", "model.ipynb", "--isolated", "--select=TPC")
    assert done.returncode == 1, done.stderr
    assert done.stdout == BUGGY_FINDINGS.replace("cell_4", "cell_3")
