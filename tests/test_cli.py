"""The standalone CLI: discovery, configuration, noqa, formats, fixing, exit codes."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from flake8_param_check import __version__, cli
from flake8_param_check.codes import CODES
from flake8_param_check.config import (
    ConfigError,
    Selection,
    Value,
    find_config,
    make_selection,
    parse_per_file_ignores,
    read_config,
    resolve,
)
from flake8_param_check.discovery import PathPatterns, discover
from flake8_param_check.findings import Finding
from flake8_param_check.formats import Report, format_github, format_json, format_sarif, format_text
from flake8_param_check.noqa import NoqaFilter

from cli_helpers import run_main, write

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"

BUGGY = (
    "import torch\n"
    "from torch import nn\n"
    "class M(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.pe = torch.zeros(3)\n"
)
CLEAN = "import torch\nfrom torch import nn\nclass M(nn.Module):\n    pass\n"
TPC001_AT_6 = "6:9: " + CODES["TPC001"].message(attr="pe")
FIXED_LINE = 'self.register_buffer("pe", torch.zeros(3), persistent=False)'


def run_process(*argv: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8_param_check.cli", *argv],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


# -- basics -----------------------------------------------------------------------------------


def test_version_help_and_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"flake8-param-check {__version__}"
    assert cli.main(["--help"]) == 0
    assert "--buffer-style" in capsys.readouterr().out
    assert cli.main(["--list-codes"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == list(CODES)


@pytest.mark.parametrize(
    "argv",
    [["--format", "xml"], ["--jobs", "0"], ["--fix", "--diff"], ["--buffer-style", "nope"], ["--bogus"]],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    assert cli.main(argv) == 2
    assert capsys.readouterr().err


def test_fix_refuses_stdin(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(capsys, "--fix", "-")[0] == 2


def test_clean_file_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "ok.py", CLEAN)
    assert run_main(capsys, "ok.py") == (0, "", "")


def test_text_output_is_flake8s(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "pkg" / "f.py", BUGGY)
    code, out, err = run_main(capsys, "pkg")
    assert (code, err) == (1, "")
    assert out == f"{os.path.join('pkg', 'f.py')}:{TPC001_AT_6}\n"


def test_no_path_means_current_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "f.py", BUGGY)
    assert run_main(capsys)[:2] == (1, f"./f.py:{TPC001_AT_6}\n")


def test_subprocess_end_to_end(tmp_path: Path) -> None:
    write(tmp_path / "f.py", BUGGY)
    write(tmp_path / "bad.py", "def broken(:\n")
    done = run_process("--isolated", "f.py", "bad.py", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout == f"f.py:{TPC001_AT_6}\n"
    assert done.stderr.startswith("bad.py: error: SyntaxError: ")
    assert done.stderr.count("\n") == 1


def test_python_dash_m_runs_the_cli(tmp_path: Path) -> None:
    """``python -m flake8_param_check``, the way nbqa runs a tool."""
    write(tmp_path / "f.py", BUGGY)
    done = subprocess.run(
        [sys.executable, "-m", "flake8_param_check", "--isolated", "f.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert (done.returncode, done.stdout, done.stderr) == (1, f"f.py:{TPC001_AT_6}\n", "")


def test_stdin_with_display_name(tmp_path: Path) -> None:
    done = run_process("--isolated", "-", cwd=tmp_path, stdin=BUGGY)
    assert (done.returncode, done.stdout) == (1, f"stdin:{TPC001_AT_6}\n")
    done = run_process("--isolated", "--stdin-display-name", "m.py", "-", cwd=tmp_path, stdin=BUGGY)
    assert done.stdout == f"m.py:{TPC001_AT_6}\n"


def test_subprocess_clean_and_usage(tmp_path: Path) -> None:
    write(tmp_path / "ok.py", CLEAN)
    assert run_process("--isolated", "ok.py", cwd=tmp_path).returncode == 0
    assert run_process("--isolated", "-", cwd=tmp_path, stdin=CLEAN).returncode == 0
    assert run_process("--format", "nope", cwd=tmp_path).returncode == 2


# -- files that cannot be checked -------------------------------------------------------------


def test_unreadable_files_get_one_line_each(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "a_syntax.py", "x = 1\n\ndef f(:\n")
    write(tmp_path / "b_bytes.py", b"x = '\xff\xfe'\n")
    write(tmp_path / "c_cookie.py", "# -*- coding: klingon -*-\nx = 1\n")
    write(tmp_path / "d_ok.py", CLEAN)
    code, out, err = run_main(capsys, ".", "missing.py")
    assert (code, out) == (0, "")
    lines = err.splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("./a_syntax.py: error: SyntaxError: ") and lines[0].endswith("(line 3)")
    assert lines[1].startswith("./b_bytes.py: error: cannot decode: ")
    assert lines[2].startswith("./c_cookie.py: error: cannot decode: ")
    assert lines[3] == "missing.py: error: No such file or directory"


def test_file_vanishing_after_listing(tmp_path: Path) -> None:
    path = write(tmp_path / "gone.py", CLEAN)
    [task] = cli.make_tasks(cli.build_parser().parse_args([]), resolve({}), discover([str(path)]))
    path.unlink()
    outcome = cli.run_task(task)
    assert outcome.error == "No such file or directory" and outcome.findings == []


def test_errors_do_not_hide_other_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "bad.py", "def f(:\n")
    write(tmp_path / "f.py", BUGGY)
    code, out, err = run_main(capsys, "bad.py", "f.py")
    assert (code, out) == (1, f"f.py:{TPC001_AT_6}\n")
    assert err.startswith("bad.py: error: SyntaxError")


@pytest.mark.parametrize(
    "encoded",
    [
        ("# -*- coding: latin-1 -*-\n# caf\xe9\n" + BUGGY).encode("latin-1"),
        b"\xef\xbb\xbf" + BUGGY.encode(),
        BUGGY.replace("\n", "\r\n").encode(),
    ],
    ids=["latin-1-cookie", "bom", "crlf"],
)
def test_decodes_like_python(encoded: bytes) -> None:
    text, _ = cli.decode(encoded)
    assert "self.pe = torch.zeros(3)" in text and not text.startswith("\ufeff")


def test_finding_lines_under_cookie_and_bom(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "bom.py", b"\xef\xbb\xbf" + BUGGY.encode())
    write(tmp_path / "crlf.py", BUGGY.replace("\n", "\r\n"))
    code, out, _ = run_main(capsys, "bom.py", "crlf.py")
    assert out == f"bom.py:{TPC001_AT_6}\ncrlf.py:{TPC001_AT_6}\n"


# -- discovery --------------------------------------------------------------------------------


def test_discovery_skips_tool_and_env_folders(tmp_path: Path) -> None:
    for folder in [".git", ".venv", "venv", "env", "build", "dist", "__pycache__", ".tox", ".nox",
                   "node_modules", "myenv", "src/gen"]:
        write(tmp_path / folder / "x.py", CLEAN)
    write(tmp_path / "myenv" / "pyvenv.cfg", "home = /usr\n")
    write(tmp_path / "src" / "a.py", CLEAN)
    write(tmp_path / "src" / "b_test.py", CLEAN)
    write(tmp_path / "src" / "notes.txt", "")
    excludes = (PathPatterns(("*_test.py", "src/gen"), str(tmp_path)),)
    assert discover(["."], excludes) == [os.path.join(".", "src", "a.py")]
    assert discover(["src/notes.txt"]) == ["src/notes.txt"]  # named explicitly: checked
    assert discover(["src/b_test.py"], excludes) == []


def test_discovery_survives_symlink_loops(tmp_path: Path) -> None:
    write(tmp_path / "a" / "m.py", CLEAN)
    os.symlink(tmp_path / "a", tmp_path / "a" / "loop")
    os.symlink(tmp_path / "a" / "m.py", tmp_path / "a" / "alias.py")
    assert discover(["a"]) == [os.path.join("a", "alias.py")]
    assert discover(["a", "a/m.py"]) == [os.path.join("a", "alias.py")]


def test_exclude_option_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "gen" / "bad.py", "def f(:\n")
    write(tmp_path / "skip_me.py", "def f(:\n")
    assert run_main(capsys, "--exclude", "gen,skip_*.py")[2] == ""
    assert "skip_me.py" in run_main(capsys, "--exclude", "gen")[2]


# -- noqa -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "comment, silenced",
    [
        ("# noqa", {"TPC001", "TPC003"}),
        ("# NOQA", {"TPC001", "TPC003"}),
        ("# noqa: TPC001", {"TPC001"}),
        ("# noqa:TPC001,TPC003", {"TPC001", "TPC003"}),
        ("# noqa: TPC00", {"TPC001", "TPC003"}),
        ("# noqa: E501", set()),
        ("# noqa: E501 TPC003", {"TPC003"}),
        ("# noqa : TPC001", {"TPC001", "TPC003"}),  # flake8: a bare noqa followed by text
        ("# not a noqa", set()),
    ],
)
def test_inline_noqa_like_flake8(comment: str, silenced: set[str]) -> None:
    noqa = NoqaFilter(f"x = 1  {comment}\n")
    assert {c for c in ("TPC001", "TPC003") if noqa.silenced(1, c)} == silenced
    assert not NoqaFilter(f"x = 1  {comment}\n", disabled=True).silenced(1, "TPC001")


def test_noqa_covers_multiline_strings_like_flake8() -> None:
    # flake8 joins the lines of one multi-line token (string, backslash continuation), not of brackets
    source = 'x = """\nabc\n"""  # noqa: TPC001\ny = 1 + \\\n    2  # noqa\nz = f(\n    1,\n)  # noqa\n'
    noqa = NoqaFilter(source)
    silenced = [noqa.silenced(line, "TPC001") for line in range(1, 9)]
    assert silenced == [True, True, True, True, True, False, False, True]


def test_file_level_noqa() -> None:
    assert NoqaFilter("x = 1\n# flake8: noqa\n").skips_file
    assert NoqaFilter("x = 1\n#   FLAKE8=NOQA\n").skips_file is False  # flake8 needs '# flake8'
    assert not NoqaFilter("x = 1  # flake8: noqa\n").skips_file
    assert not NoqaFilter("# flake8: noqa\n", disabled=True).skips_file


def test_noqa_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "bare.py", BUGGY.replace("zeros(3)\n", "zeros(3)  # noqa\n"))
    write(tmp_path / "coded.py", BUGGY.replace("zeros(3)\n", "zeros(3)  # noqa: TPC001\n"))
    write(tmp_path / "other.py", BUGGY.replace("zeros(3)\n", "zeros(3)  # noqa:E501\n"))
    write(tmp_path / "whole.py", "# flake8: noqa\n" + BUGGY)
    code, out, _ = run_main(capsys, "bare.py", "coded.py", "other.py", "whole.py")
    assert (code, out) == (1, "other.py:" + TPC001_AT_6 + "\n")
    out = run_main(capsys, "--disable-noqa", "bare.py", "whole.py")[1]
    assert out == "bare.py:" + TPC001_AT_6 + "\n" + "whole.py:" + TPC001_AT_6.replace("6:", "7:", 1) + "\n"


# -- select / ignore / configuration -----------------------------------------------------------


def test_selection_longest_prefix_wins() -> None:
    assert Selection()("TPC001")
    assert not Selection(ignore=("TPC",))("TPC001")
    assert Selection(select=("TPC001",), ignore=("TPC",))("TPC001")
    assert not Selection(select=("TPC001",))("TPC002")
    assert not Selection(select=("TPC00",), ignore=("TPC001",))("TPC001")


def values(**options: str) -> dict[str, Value]:
    return {key: Value(text, ".") for key, text in options.items()}


def test_code_lists_keep_only_tpc_codes() -> None:
    assert make_selection(values(select="E,W,F")) == Selection(("TPC",), ())
    assert make_selection(values(select="E,TPC001", extend_select="TPC003")).select == ("TPC001", "TPC003")
    ignored = make_selection(values(ignore="E501,tpc002", extend_ignore="TPC004 W")).ignore
    assert ignored == ("TPC002", "TPC004")


def test_per_file_ignores_syntax() -> None:
    assert parse_per_file_ignores("tests/*.py:TPC001,TPC002\n  a.py b.py: TPC00 c.py:E1") == [
        ("tests/*.py", ("TPC001", "TPC002")),
        ("a.py", ("TPC00",)),
        ("b.py", ("TPC00",)),
        ("c.py", ("E1",)),
    ]
    for broken in ("a.py", "a.py:", ":TPC001", "a.py::TPC001"):
        with pytest.raises(ConfigError):
            parse_per_file_ignores(broken)


def test_flake8_config_search(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "setup.cfg", "[metadata]\nname = x\n")
    write(tmp_path / "tox.ini", "[flake8]\nselect = TPC001\n")
    write(tmp_path / ".flake8", "[flake8]\nselect = TPC002\n")
    write(tmp_path / "sub" / "deeper" / "x.py", "")
    assert find_config(str(tmp_path)) == str(tmp_path / "tox.ini")
    assert find_config(str(tmp_path / "sub" / "deeper")) == str(tmp_path / "tox.ini")
    write(tmp_path / "sub" / "pyproject.toml", '[tool.flake8-param-check]\nselect = "TPC003"\n')
    assert find_config(str(tmp_path / "sub" / "deeper")) == str(tmp_path / "sub" / "pyproject.toml")


def test_read_flake8_section(tmp_path: Path) -> None:
    cfg = write(
        tmp_path / "setup.cfg",
        "[flake8]\nmax-line-length = 99\nparam-check-module-bases = a.B, c.D\n"
        "param_check_buffer_style = nn.Buffer\nextend-ignore = E203,TPC002\n"
        "per-file-ignores =\n    tests/*:TPC001\n    gen.py:TPC\nextend-exclude = build2,docs/*\n",
    )
    resolved = resolve(read_config(str(cfg)))
    assert resolved.settings.module_bases == frozenset({"a.B", "c.D"})
    assert resolved.settings.buffer_style == "nn.Buffer"
    assert resolved.selection == Selection(("TPC",), ("TPC002",))
    assert resolved.per_file_ignores.codes_for(str(tmp_path / "tests" / "t.py")) == ("TPC001",)
    assert resolved.per_file_ignores.codes_for("gen.py") == ("TPC",)
    assert resolved.per_file_ignores.codes_for("other.py") == ()
    assert [group.patterns for group in resolved.excludes] == [("build2", "docs/*")]


def test_read_pyproject(tmp_path: Path) -> None:
    cfg = write(
        tmp_path / "pyproject.toml",
        '[tool.flake8-param-check]\nmodule_bases = ["a.B"]\nparam-check-buffer-style = "nn.Buffer"\n'
        'ignore = ["TPC003"]\n[tool.flake8-param-check.per-file-ignores]\n"tests/*" = ["TPC001"]\n',
    )
    resolved = resolve(read_config(str(cfg)))
    assert resolved.settings.module_bases == frozenset({"a.B"})
    assert resolved.settings.buffer_style == "nn.Buffer"
    assert resolved.selection.ignore == ("TPC003",)
    assert resolved.per_file_ignores.codes_for("tests/x.py") == ("TPC001",)
    write(tmp_path / "bad.toml", "[tool.flake8-param-check]\nwhat = 1\n")
    with pytest.raises(ConfigError):
        read_config(str(tmp_path / "bad.toml"))


def test_command_line_wins_and_isolated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / ".flake8", "[flake8]\nignore = TPC001\nparam-check-module-bases = a.B\n")
    parse = cli.build_parser().parse_args
    assert cli.load_options(parse([])).selection.ignore == ("TPC001",)
    assert cli.load_options(parse(["--ignore", "TPC002"])).selection.ignore == ("TPC002",)
    assert cli.load_options(parse(["--module-bases", "x.Y,z.W"])).settings.module_bases == {"x.Y", "z.W"}
    assert cli.load_options(parse(["--isolated"])).selection.ignore == ()
    other = write(tmp_path / "other.cfg", "[flake8]\nextend-ignore = TPC005\n")
    assert cli.load_options(parse(["--config", str(other)])).selection.ignore == ("TPC005",)
    assert cli.main(["--config", "missing.cfg"]) == 2
    write(tmp_path / "broken.cfg", "[flake8]\nper-file-ignores = a.py\n")
    assert cli.main(["--config", "broken.cfg"]) == 2
    assert "per-file-ignores" in capsys.readouterr().err


def test_select_ignore_and_config_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "f.py", BUGGY)
    write(tmp_path / "tests" / "t.py", BUGGY)
    assert run_main(capsys, "--ignore", "TPC00", "f.py")[:2] == (0, "")
    assert run_main(capsys, "--select", "TPC002", "f.py")[0] == 0
    assert run_main(capsys, "--select", "TPC001", "--ignore", "TPC", "f.py")[0] == 1
    write(tmp_path / "setup.cfg", "[flake8]\nselect = E,W\nper-file-ignores = tests/*:TPC001\n")
    assert run_main(capsys, ".")[1].count("TPC001") == 2  # --isolated: the config is not read
    code = cli.main(["-j", "1", "."])
    assert capsys.readouterr().out == f"./f.py:{TPC001_AT_6}\n" and code == 1


def test_same_findings_as_the_flake8_route(tmp_path: Path) -> None:
    write(tmp_path / "setup.cfg", "[flake8]\nper-file-ignores =\n    tests/*:TPC001\n")
    write(tmp_path / "a.py", BUGGY + "        self.w = torch.ones(2)  # noqa: E501\n")
    write(tmp_path / "b.py", BUGGY.replace("zeros(3)\n", "zeros(3)  # NoQA:TPC00\n"))
    write(tmp_path / "tests" / "t.py", BUGGY)
    flake8 = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "TPC", "."], cwd=tmp_path, capture_output=True, text=True
    )
    ours = run_process("--select", "TPC", ".", cwd=tmp_path)
    assert ours.stdout.count("TPC001") == 2
    assert (ours.returncode, ours.stdout) == (flake8.returncode, flake8.stdout)


# -- formats ----------------------------------------------------------------------------------


LAYERS = Finding(10, 4, "TPC003", "layers", (("container", "list"), ("fix", "ModuleList")))


def sample_reports() -> list[Report]:
    return [
        Report("./pkg/a b.py", Finding(6, 8, "TPC001", "pe")),
        Report("pkg/x,y:z%.py", LAYERS),
    ]


def test_text_and_json_formats() -> None:
    reports = sample_reports()
    text = format_text(reports).splitlines()
    assert text[0] == "./pkg/a b.py:6:9: " + reports[0].finding.message
    assert text[1].startswith("pkg/x,y:z%.py:10:5: TPC003 'self.layers' is a plain list of modules")
    items = json.loads(format_json(reports))
    assert items[0] == {
        "path": "./pkg/a b.py", "cell": None, "line": 6, "column": 9, "code": "TPC001",
        "message": reports[0].finding.text, "attr": "pe",
    }  # fmt: skip
    assert items[1]["column"] == 5 and json.loads(format_json([])) == []


def test_github_format_escapes() -> None:
    finding = Finding(2, 0, "TPC001", "a%b\nc")
    lines = format_github([*sample_reports(), Report("q.py", finding)]).splitlines()
    text = sample_reports()[0].finding.text
    assert lines[0] == f"::error file=pkg/a b.py,line=6,col=9,title=TPC001::{text}"
    assert lines[1].startswith("::error file=pkg/x%2Cy%3Az%25.py,line=10,col=5,title=TPC003::'self.layers'")
    assert "'self.a%25b%0Ac'" in lines[2] and len(lines) == 3


def test_sarif_is_valid(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    absolute = Report(str(tmp_path / "abs.py"), Finding(1, 0, "TPC005", "w", (("method", "half"),)))
    in_cell = Report("nb.ipynb", Finding(4, 8, "TPC001", "pe"), cell=3, file_line=40)
    document = json.loads(format_sarif([*sample_reports(), absolute, in_cell]))
    jsonschema.Draft4Validator(schema).validate(document)
    [run] = document["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "flake8-param-check" and driver["version"] == __version__
    assert [rule["id"] for rule in driver["rules"]] == list(CODES)
    assert all(rule["shortDescription"]["text"] for rule in driver["rules"])
    first, second, third, fourth = run["results"]
    assert first["ruleId"] == "TPC001" and first["level"] == "error"
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "pkg/a%20b.py"
    assert location["region"] == {"startLine": 6, "startColumn": 9}
    assert driver["rules"][second["ruleIndex"]]["id"] == "TPC003"
    assert third["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("file:///")
    assert fourth["locations"][0]["physicalLocation"]["region"] == {"startLine": 40}
    assert fourth["locations"][0]["logicalLocations"] == [{"name": "cell_3", "kind": "object"}]
    assert fourth["properties"] == {"cell": 3, "cellLine": 4, "cellColumn": 9}
    jsonschema.Draft4Validator(schema).validate(json.loads(format_sarif([])))


@pytest.mark.parametrize("fmt", ["json", "github", "sarif"])
def test_formats_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    write(tmp_path / "f.py", BUGGY)
    code, out, _ = run_main(capsys, "--format", fmt, "f.py")
    assert code == 1
    if fmt == "json":
        assert [(i["path"], i["line"], i["column"], i["code"], i["attr"]) for i in json.loads(out)] == [
            ("f.py", 6, 9, "TPC001", "pe")
        ]
    elif fmt == "github":
        assert out.startswith("::error file=f.py,line=6,col=9,title=TPC001::tensor 'self.pe'")
    else:
        [result] = json.loads(out)["runs"][0]["results"]
        assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 6, "startColumn": 9}


# -- jobs and progress ------------------------------------------------------------------------


def test_parallel_run_is_stable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for i in (3, 1, 2, 10):
        write(tmp_path / f"m{i}.py", BUGGY + f"        self.q{i} = torch.ones(2)\n")
    write(tmp_path / "z_bad.py", "def f(:\n")
    write(tmp_path / "a_bad.py", "def f(:\n")
    serial = run_main(capsys, "-j", "1", ".")
    parallel = run_main(capsys, "-j", "3", ".")
    assert serial == parallel and serial[0] == 1
    paths = [line.split(":")[0] for line in serial[1].splitlines()]
    assert paths == sorted(paths) and len(paths) == 8
    assert [line.split(":")[0] for line in serial[2].splitlines()] == ["./a_bad.py", "./z_bad.py"]


def test_parallel_errors_are_sorted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("d", "b", "c", "a"):
        write(tmp_path / f"{name}.py", "def f(:\n")
    code, _, err = run_main(capsys, "-j", "2", ".")
    assert code == 0
    assert [line.split(":")[0] for line in err.splitlines()] == ["./a.py", "./b.py", "./c.py", "./d.py"]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(cli.PROGRESS_THRESHOLD + 1):
        write(tmp_path / f"m{i:03}.py", CLEAN)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert cli.main(["--isolated", "-j", "1", "."]) == 0
    assert f"51/{cli.PROGRESS_THRESHOLD + 1} files" in terminal.getvalue()
    done = run_process("--isolated", "-j", "2", ".", cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


# -- fixing -----------------------------------------------------------------------------------


def test_write_atomically_keeps_mode(tmp_path: Path) -> None:
    path = write(tmp_path / "x.py", "old\n")
    path.chmod(0o751)
    cli.write_atomically(str(path), b"new\r\n")
    assert path.read_bytes() == b"new\r\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o751
    assert os.listdir(tmp_path) == ["x.py"]


def test_write_atomically_refuses_read_only(tmp_path: Path) -> None:
    path = write(tmp_path / "ro.py", "old\n")
    path.chmod(0o444)
    with pytest.raises(cli.FileError, match="read-only"):
        cli.write_atomically(str(path), b"new\n")
    assert path.read_bytes() == b"old\n"
    path.chmod(0o644)
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(cli.FileError, match="read-only"):
            cli.write_atomically(str(path), b"new\n")
    finally:
        tmp_path.chmod(0o755)
    assert path.read_bytes() == b"old\n"


def test_fix_rewrites_in_place(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    crlf = write(tmp_path / "crlf.py", BUGGY.replace("\n", "\r\n"))
    bom = write(tmp_path / "bom.py", b"\xef\xbb\xbf" + BUGGY.encode())
    latin = write(tmp_path / "latin.py", ("# -*- coding: latin-1 -*-\n# \xe9\n" + BUGGY).encode("latin-1"))
    kept = write(tmp_path / "kept.py", BUGGY.replace("zeros(3)\n", "zeros(3)  # noqa: TPC001\n"))
    plain = write(tmp_path / "plain.py", "import os\n\n\nclass A(dict):\n    x = os.sep\n")  # no torch
    crlf.chmod(0o640)
    code, out, err = run_main(capsys, "--fix", ".")
    assert (code, out) == (0, "")
    assert err == "flake8-param-check: 3 files changed, 3 findings fixed, 0 findings left\n"
    assert FIXED_LINE.encode() + b"\r\n" in crlf.read_bytes() and b"\n\n" not in crlf.read_bytes()
    assert stat.S_IMODE(crlf.stat().st_mode) == 0o640
    assert bom.read_bytes().startswith(b"\xef\xbb\xbf") and FIXED_LINE.encode() in bom.read_bytes()
    assert "# \xe9" in latin.read_bytes().decode("latin-1") and FIXED_LINE in latin.read_text("latin-1")
    assert "noqa: TPC001" in kept.read_text() and FIXED_LINE not in kept.read_text()
    assert plain.read_text() == "import os\n\n\nclass A(dict):\n    x = os.sep\n"
    assert sorted(os.listdir(tmp_path)) == ["bom.py", "crlf.py", "kept.py", "latin.py", "plain.py"]


def test_fix_read_only_file_is_one_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ro = write(tmp_path / "ro.py", BUGGY)
    rw = write(tmp_path / "rw.py", BUGGY)
    ro.chmod(0o444)
    code, out, err = run_main(capsys, "--fix", "ro.py", "rw.py")
    assert ro.read_text() == BUGGY and FIXED_LINE in rw.read_text()
    assert err.splitlines()[0] == "ro.py: error: cannot write: the file is read-only"
    assert code == 1 and out == f"ro.py:{TPC001_AT_6}\n"


def test_diff_applies_with_patch(tmp_path: Path) -> None:
    write(tmp_path / "pkg" / "f.py", BUGGY)
    write(tmp_path / "pkg" / "no_eol.py", BUGGY.rstrip("\n"))
    write(tmp_path / "pkg" / "ok.py", CLEAN)
    done = run_process("--isolated", "--diff", "pkg", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout.startswith("--- a/pkg/f.py\n+++ b/pkg/f.py\n")
    assert "\\ No newline at end of file\n" in done.stdout
    assert (tmp_path / "pkg" / "f.py").read_text() == BUGGY  # --diff writes nothing
    assert "2 files would change, 2 findings would fix, 0 findings left" in done.stderr
    if shutil.which("patch") is None:
        pytest.skip("patch is not installed")
    subprocess.run(["patch", "-p1"], cwd=tmp_path, input=done.stdout, text=True, check=True)
    assert FIXED_LINE in (tmp_path / "pkg" / "f.py").read_text()
    assert (tmp_path / "pkg" / "no_eol.py").read_text().endswith(FIXED_LINE)
    again = run_process("--isolated", "--diff", "pkg", cwd=tmp_path)
    assert (again.returncode, again.stdout) == (0, "")


def test_diff_without_changes_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "ok.py", CLEAN)
    code, out, err = run_main(capsys, "--diff", "ok.py")
    assert (code, out) == (0, "")
    assert err == "flake8-param-check: 0 files would change, 0 findings would fix, 0 findings left\n"


def test_buffer_style_reaches_the_fixer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "f.py", BUGGY)
    write(tmp_path / ".flake8", "[flake8]\nparam-check-buffer-style = nn.Buffer\n")
    assert cli.main(["-j", "1", "--diff", "f.py"]) == 1
    assert "+        self.pe = nn.Buffer(torch.zeros(3), persistent=False)\n" in capsys.readouterr().out
    code, out, _ = run_main(capsys, "--diff", "--buffer-style", "register_buffer", "f.py")
    assert f"+        {FIXED_LINE}\n" in out and code == 1
