"""Never crash, never corrupt: hostile files through analyze(), a real flake8 and the CLI.

Every input here is something a lint run meets in the wild (or an attacker writes): odd bytes,
odd line endings, syntax from another Python, generated monsters, nesting deep enough to blow a
parser's stack, files that vanish or cannot be written.  The contract is the same on every route:
the process survives, the file gets its findings or one clear line saying why it got none, and
the other files of the run are unaffected.

Inputs that might kill the interpreter (a native parser overflowing its stack) run in a
subprocess, so a segfault fails the test instead of the test session.
"""

from __future__ import annotations

import ast
import json
import os
import re
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from flake8_param_check import cli
from flake8_param_check import session as session_module
from flake8_param_check import values
from flake8_param_check.analysis import analyze
from flake8_param_check.fixer import fix_source
from flake8_param_check.inference import MAX_STEPS
from flake8_param_check.source import decode_source

#: These tests check that the analysis stops, and how (the work bound is counted in steps, not
#: seconds); the time is only a guard against a hang, generous for a loaded 2-core machine.
#: Speed itself is measured by benchmarks/, never asserted here.
HANG = 300

HEADER = "import torch\nfrom torch import nn\n"
#: One TPC001 at line 6, column 8 (0-based).
BUGGY = (
    HEADER
    + "class M(nn.Module):\n"
    + "    def __init__(self):\n"
    + "        super().__init__()\n"
    + "        self.pe = torch.zeros(3)\n"
)
TPC001_AT_6 = [(6, "TPC001")]

#: Output of a flake8 run that shows our plugin (not flake8 or pyflakes) broke.
PLUGIN_FAILURE_MARKS = ("flake8-param-check", "flake8_param_check", "ParamCheckPlugin", "TPC]")


# -- the cases --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    #: ``[(line, code)]`` every route must report; ``None``: the file cannot be analysed and
    #: every route must say so (E999/E902 from flake8, one error line from the CLI);
    #: ``ANY``: whatever the routes report, nothing may crash.
    expected: list[tuple[int, str]] | None | str
    line: int = 6  #: the line of the one TPC001 an ``ANY`` case may report


ANY = "any"
#: Not decodable as Python would: the CLI says so in one line; flake8 falls back to latin-1.
UNDECODABLE = "undecodable"


def _newer_syntax() -> list[Case]:
    """Syntax newer than some Pythons (and than libcst's grammar): lints where the running
    Python parses it, is a syntax error where it does not; never a crash."""
    snippets = {
        "pep695_type_alias": "type Alias = int\n",
        "pep695_generic_class": "class Box[T]:\n    pass\n",
        "pep695_generic_module": "",  # the Module class itself is generic, below
        "pep701_nested_fstring": 'NAME = f"{f"{f"{1}"}"}"\n',
        "pep758_except_no_parens": "try:\n    pass\nexcept ValueError, TypeError:\n    pass\n",
        "match_statement": "match 1:\n    case [a, *rest] if a:\n        pass\n    case _:\n        pass\n",
        "except_star": "try:\n    pass\nexcept* ValueError:\n    pass\n",
        "walrus_posonly": "def f(a, /, b, *, c):\n    return (y := a)\n",
    }
    cases = []
    for name, prefix in snippets.items():
        module = "class M(nn.Module):\n"
        if name == "pep695_generic_module":
            module = "class M[T](nn.Module):\n"
        source = HEADER + prefix + module + "    def __init__(self):\n        super().__init__()\n"
        source += "        self.pe = torch.zeros(3)\n"
        try:
            ast.parse(source)
        except SyntaxError:
            expected: list[tuple[int, str]] | None | str = None
        else:
            # libcst may not know the syntax: then that class yields nothing, it does not crash.
            expected = ANY
        line = source.splitlines().index("        self.pe = torch.zeros(3)") + 1
        cases.append(Case(name, source.encode(), expected, line))
    return cases


CASES = [
    Case("empty", b"", []),
    Case("only_comments", b"# a comment\n#another\n\n# the end", []),
    Case("only_whitespace", b"\n\n   \n\t\n", []),
    Case("bom", b"\xef\xbb\xbf" + BUGGY.encode(), TPC001_AT_6),
    Case("crlf", BUGGY.replace("\n", "\r\n").encode(), TPC001_AT_6),
    Case("lone_cr", BUGGY.replace("\n", "\r").encode(), TPC001_AT_6),
    Case("no_final_newline", BUGGY.rstrip("\n").encode(), TPC001_AT_6),
    Case(
        "tabs",
        (HEADER + "class M(nn.Module):\n\tdef __init__(self):\n\t\tsuper().__init__()\n"
         "\t\tself.pe = torch.zeros(3)\n").encode(),
        TPC001_AT_6,
    ),
    Case(
        "latin1_cookie",
        ("# -*- coding: latin-1 -*-\n" + HEADER + "# caf\xe9 \xff\n"
         "class M(nn.Module):\n    def __init__(self):\n        s = '\xe9t\xe9'\n"
         "        self.pe = torch.zeros(3)\n").encode("latin-1"),
        [(8, "TPC001")],
    ),
    Case("invalid_utf8_no_cookie", b"x = '\xff\xfe\xc3'\n" + BUGGY.encode(), UNDECODABLE),
    Case("null_byte", BUGGY.encode().replace(b"zeros(3)", b"zeros(3)\x00"), None),
    Case("python2_print", b'print "x"\n' + BUGGY.encode(), None),
    Case("python2_except", b"try:\n    pass\nexcept ValueError, e:\n    pass\n", None),
    Case("unterminated_string", b"x = '''\n" + BUGGY.encode(), None),
    Case("bad_dedent", b"if 1:\n        x = 1\n    y = 2\n", None),
    *_newer_syntax(),
]
# PEP 758 (Python 3.14) makes ``except A, B:`` legal again.
if sys.version_info >= (3, 14):
    CASES = [c for c in CASES if c.name != "python2_except"]
CASE_IDS = [c.name for c in CASES]


def text_of(data: bytes) -> str:
    """The text a route analyses: decoded like Python, or latin-1 for undecodable bytes."""
    try:
        return decode_source(data).text
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return data.decode("latin-1")


# -- helpers ----------------------------------------------------------------------------------


def run_flake8(*paths: str | Path, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select=TPC,E999", "--format=%(path)s:%(row)d:%(col)d:%(code)s",
         *map(str, paths)],
        cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False,
    )


def _breaks_flake8_itself(path: Path) -> bool:
    """flake8 dies with a traceback on a file whose ast it cannot build, and aborts the run when
    pyflakes overflows on one: such files are left out of flake8 runs (known in advance, so that
    one run covers the others)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except SyntaxError:
        return False  # flake8 reports E999
    except (RecursionError, MemoryError, ValueError):
        return True
    try:
        import pyflakes.checker

        pyflakes.checker.Checker(tree, filename=str(path))
    except RecursionError:
        return True
    except Exception:
        return False
    return False


def run_flake8_around_its_own_failures(paths: list[Path], cwd: Path) -> list[subprocess.CompletedProcess[str]]:
    """flake8 over ``paths``; flake8 aborts the whole run when one of *its* plugins (pyflakes,
    pycodestyle) fails on a file, so such files are dropped and the rest run again.  Our plugin
    failing is never dropped: the caller asserts on every run's output."""
    runs = []
    left = [str(p.relative_to(cwd)) for p in paths if not _breaks_flake8_itself(p)]
    while left:
        done = run_flake8("-j", "2", *left, cwd=cwd, timeout=300)
        runs.append(done)
        failed = re.findall(r'^(\S+): "(?!flake8-param-check)[^"]+" failed during execution', done.stdout + done.stderr,
                            re.MULTILINE)
        if not failed:
            break
        left = [p for p in left if os.path.normpath(p) not in {os.path.normpath(f) for f in failed}]
    return runs


def run_cli_process(*argv: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8_param_check.cli", "--isolated", *argv],
        cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False,
    )


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["--isolated", "-j", "1", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_flake8_survived(done: subprocess.CompletedProcess[str]) -> None:
    """No signal, no plugin failure, no traceback through our code; exit 0 or 1."""
    both = done.stdout + done.stderr
    assert done.returncode in (0, 1), f"flake8 exited {done.returncode}:\n{both[-3000:]}"
    for mark in PLUGIN_FAILURE_MARKS:
        assert mark not in both, both[-3000:]
    assert "Traceback" not in both, both[-3000:]
    assert "failed during execution" not in both, both[-3000:]


def flake8_findings(done: subprocess.CompletedProcess[str]) -> dict[str, list[tuple[int, str]]]:
    found: dict[str, list[tuple[int, str]]] = {}
    for line in done.stdout.splitlines():
        path, row, _col, code = line.rsplit(":", 3)
        found.setdefault(Path(path).name, []).append((int(row), code))
    return {name: sorted(items) for name, items in found.items()}


def cli_findings(out: str) -> dict[str, list[tuple[int, str]]]:
    found: dict[str, list[tuple[int, str]]] = {}
    for item in json.loads(out or "[]"):
        name = Path(item.get("filename") or item.get("path")).name
        found.setdefault(name, []).append((item.get("line_number") or item.get("line"), item["code"]))
    return {name: sorted(items) for name, items in found.items()}


def cli_errors(err: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    for line in err.splitlines():
        path, sep, why = line.partition(": error: ")
        assert sep, f"unexpected stderr line: {line!r}"
        assert Path(path).name not in errors, f"two error lines for {path}"
        errors[Path(path).name] = why
    return errors


def write_cases(folder: Path, cases: list[Case]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for case in cases:
        (folder / f"{case.name}.py").write_bytes(case.data)


# -- every case, every route ------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_analyze_hostile(case: Case) -> None:
    result = analyze(text_of(case.data))
    assert isinstance(result.findings, list)
    found = [(f.line, f.code) for f in result.findings]
    if case.expected is None:
        assert found == [] and result.error, result
    elif case.expected == UNDECODABLE:
        assert found in ([], [(7, "TPC001")])
    elif case.expected != ANY:
        assert result.error is None and found == case.expected
    else:
        assert found in ([], [(case.line, "TPC001")])


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_analyze_raw_text_never_raises(case: Case) -> None:
    """The undecoded text too (a BOM left in, latin-1 read of UTF-8): no exception."""
    for text in {case.data.decode("latin-1"), case.data.decode("utf-8", "replace"), "\ufeff" + text_of(case.data)}:
        result = analyze(text)
        assert result.error is not None or isinstance(result.findings, list)


def test_flake8_hostile(tmp_path: Path) -> None:
    """One real flake8 run over every case: our plugin never fails, findings as expected,
    unparsable files get flake8's own E999/E902."""
    write_cases(tmp_path, CASES)
    done = run_flake8(".", cwd=tmp_path)
    assert_flake8_survived(done)
    found = flake8_findings(done)
    for case in CASES:
        got = found.get(f"{case.name}.py", [])
        if case.expected is None:
            assert got and all(code in ("E999", "E902") for _, code in got), (case.name, got)
        elif case.expected == ANY:
            assert got in ([], [(case.line, "TPC001")]), (case.name, got)
        elif case.expected == UNDECODABLE:
            assert got in ([], [(7, "TPC001")]) or {code for _, code in got} <= {"E902", "E999"}
        else:
            assert got == case.expected, (case.name, got)


def _check_cli_run(cases: list[Case], code: int, out: str, err: str) -> None:
    assert code == 1  # BUGGY-like cases have findings; errors alone never change the exit code
    found = cli_findings(out)
    errors = cli_errors(err)
    for case in cases:
        name = f"{case.name}.py"
        if case.expected is None:
            assert name in errors and name not in found, (case.name, found.get(name))
        elif case.expected == UNDECODABLE:
            assert errors.get(name, "").startswith("cannot decode") and name not in found
        elif case.expected == ANY:
            assert found.get(name, []) in ([], [(case.line, "TPC001")])
            assert (name in errors) == (name not in found) or name not in errors
        else:
            assert name not in errors, errors.get(name)
            assert found.get(name, []) == case.expected, case.name
    assert set(errors) <= {f"{c.name}.py" for c in cases if c.expected in (None, ANY, UNDECODABLE)}


def test_cli_hostile_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    write_cases(tmp_path, CASES)
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main(capsys, "--format", "json", ".")
    _check_cli_run(CASES, code, out, err)


def test_cli_hostile_subprocess_parallel(tmp_path: Path) -> None:
    write_cases(tmp_path, CASES)
    done = run_cli_process("-j", "2", "--format", "json", ".", cwd=tmp_path)
    assert "Traceback" not in done.stderr
    _check_cli_run(CASES, done.returncode, done.stdout, done.stderr)


def test_cli_undecodable_file_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a_bad.py").write_bytes(b"x = '\xff\xfe'\n")
    (tmp_path / "b_good.py").write_bytes(BUGGY.encode())
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main(capsys, ".")
    assert code == 1
    assert out.startswith("./b_good.py:6:9: TPC001 ")
    [line] = err.splitlines()
    assert line.startswith("./a_bad.py: error: cannot decode")


# -- form feeds and other characters str.splitlines() splits on -------------------------------

#: Characters Python's tokenizer does not treat as line breaks but ``str.splitlines()`` does.
SPLITLINES_ONLY = ["\x0c", "\x0b", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


def test_form_feed_at_line_start_is_harmless() -> None:
    """A form feed alone on a line: Python ignores it; so must the analysis (CPython's own
    sources use ``^L`` between sections)."""
    source = HEADER + "\x0c\n" + BUGGY[len(HEADER):]
    assert [(f.line, f.code) for f in analyze(source).findings] == [(7, "TPC001")]


@pytest.mark.parametrize("char", SPLITLINES_ONLY, ids=[f"U+{ord(c):04X}" for c in SPLITLINES_ONLY])
def test_splitlines_only_characters_keep_line_numbers(char: str) -> None:
    source = HEADER + f"# a comment with {char} inside\nNOTE = 'x{char}y'\n" + BUGGY[len(HEADER):]
    assert [(f.line, f.code) for f in analyze(source).findings] == [(8, "TPC001")]


def test_form_feed_through_flake8(tmp_path: Path) -> None:
    source = HEADER + "\x0c\nclass M(nn.Module):  # a \x0c form feed\n    def __init__(self):\n" \
        "        super().__init__()\n        self.pe = torch.zeros(3)\n"
    (tmp_path / "ff.py").write_text(source)
    done = run_flake8("ff.py", cwd=tmp_path)
    assert_flake8_survived(done)
    assert flake8_findings(done) == {"ff.py": [(7, "TPC001")]}


def test_form_feed_in_indentation() -> None:
    """Python's tokenizer resets the column at a form feed, libcst's fails ('no matching outer
    block for dedent'): the method is not checked, and the analysis says so."""
    source = HEADER + "class M(nn.Module):\n\x0c    def __init__(self):\n" \
        "        super().__init__()\n        self.pe = torch.zeros(3)\n"
    result = analyze(source)
    assert [(f.line, f.code) for f in result.findings] == [(6, "TPC001")] or result.error


# -- size and depth ---------------------------------------------------------------------------


def generated_file(lines: int, modules: int) -> tuple[str, int]:
    """About ``lines`` lines: ``modules`` Module classes with one TPC001 each, the rest plain
    functions and non-Module classes.  Returns the source and its finding count."""
    parts = [HEADER]
    for i in range(modules):
        parts.append(
            f"class M{i}(nn.Module):\n    def __init__(self, n):\n        super().__init__()\n"
            f"        self.lin = nn.Linear(n, n)\n        self.pe = torch.zeros(n)\n        self.k = n\n\n"
            f"    def forward(self, x):\n        return self.lin(x) + self.pe\n\n"
        )
    filler = "class Plain{i}:\n    def __init__(self):\n        self.t = torch.zeros(1)\n\n\n" \
             "def helper{i}(a, b):\n    c = a + b\n    return c * 2\n\n\n"
    count = sum(p.count("\n") for p in parts)
    i = 0
    while count < lines:
        parts.append(filler.format(i=i))
        count += 10
        i += 1
    return "".join(parts), modules


def test_fifty_thousand_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    source, expected = generated_file(50_000, 300)
    assert source.count("\n") >= 50_000
    start = time.monotonic()
    result = analyze(source)
    elapsed = time.monotonic() - start
    assert result.error is None
    assert len(result.findings) == expected and {f.code for f in result.findings} == {"TPC001"}
    assert elapsed < HANG, f"analyze took {elapsed:.1f}s"
    (tmp_path / "big.py").write_text(source)
    monkeypatch.chdir(tmp_path)
    start = time.monotonic()
    code, out, err = run_main(capsys, "big.py")
    assert time.monotonic() - start < HANG
    assert (code, err) == (1, "") and len(out.splitlines()) == expected


def test_ten_thousand_lines_through_flake8(tmp_path: Path) -> None:
    """flake8's own checks dominate on big files; 10,000 lines keep this test quick."""
    source, expected = generated_file(10_000, 100)
    (tmp_path / "big.py").write_text(source)
    start = time.monotonic()
    done = run_flake8("big.py", cwd=tmp_path)
    assert time.monotonic() - start < HANG
    assert_flake8_survived(done)
    assert len(done.stdout.splitlines()) == expected


def test_class_with_thousands_of_methods() -> None:
    methods = "".join(
        f"    def m{i}(self, x):\n        self.cache{i} = x * 2\n        return self.m{i + 1}(x)\n"
        for i in range(3000)
    )
    init = "    def __init__(self):\n        super().__init__()\n        self.pe = torch.zeros(3)\n" \
           "        self.m0(1)\n"
    source = HEADER + "class M(nn.Module):\n" + init + methods
    start = time.monotonic()
    result = analyze(source)
    assert time.monotonic() - start < HANG
    # Either the whole class is analysed, or the work bound says why it stopped.
    if result.error is None:
        assert (6, "TPC001") in [(f.line, f.code) for f in result.findings]
    else:
        assert "work bound" in result.error or "too deep" in result.error


#: Expression shapes, each thousands deep or long, as a statement of a Module __init__ that also
#: holds a TPC001 (so the class is always worth a libcst parse).
DEEP = {
    "parens_5000": "(" * 5000 + "c" + ")" * 5000,
    "parens_199": "(" * 199 + "torch.zeros(1)" + ")" * 199,
    "lists_150": "[" * 150 + "torch.zeros(1)" + "]" * 150,
    "binop_100k": "torch.zeros(1)" + " + 1" * 100_000,
    "binop_1000": "torch.zeros(1)" + " + 1" * 1000,
    "power_1000": "torch.zeros(1)" + " ** 1" * 1000,
    "not_1000": "not " * 1000 + "torch.zeros(1)",
    "unary_minus_3000": "-" * 3000 + "torch.zeros(1)",
    "ifexp_1000": "torch.zeros(1) if c else " * 1000 + "torch.zeros(1)",
    "method_chain_800": "torch.zeros(1)" + ".abs()" * 800,
    "subscript_chain_1000": "torch.zeros(1)" + "[0]" * 1000,
    "compare_5000": "torch.zeros(1)" + " < 1" * 5000,
    "implicit_concat_20k": "torch.zeros(1) + " + "'s' " * 20_000,
    "and_chain_2000": "c" + " and c" * 2000,
    "list_5000_elements": "[torch.zeros(1)" + ", c" * 5000 + "]",
    "call_args_5000": "torch.cat(c" + ", c" * 5000 + ")",
}
#: Shapes that Python's ``ast`` accepts flat but libcst's native parser builds as a nested tree:
#: its recursive descent overflows the C stack (SIGSEGV) and takes the whole lint run down.
SEGFAULTS = {
    "and_chain_20k": "c" + " and c" * 20_000,
    "or_chain_20k": "c" + " or c" * 20_000,
    "dotted_import_10k": None,
}
LIBCST_SEGFAULT = (
    "libcst's native parser overflows the C stack (SIGSEGV) on shapes ast keeps flat (a 20,000-term "
    "`and`/`or` chain, a 10,000-part dotted import) anywhere in a Module class it parses: "
    "FileContext.parse must not hand them to cst.parse_module (measure the ast first, or parse in a "
    "thread with a big stack)"
)
DEEP_FINDING = [7, "TPC001"]


def deep_source(expression: str | None) -> str:
    statement = "import " + ".".join(["a"] * 10_000) if expression is None else "y = " + expression
    return (HEADER + "class M(nn.Module):\n    def __init__(self, c):\n        super().__init__()\n"
            f"        {statement}\n        self.pe = torch.zeros(3)\n")


_ANALYZE_IN_CHILD = """\
import json, sys, time
from flake8_param_check.analysis import analyze
for path in sys.argv[1:]:
    print(json.dumps({"path": path, "started": True}), flush=True)
    start = time.monotonic()
    result = analyze(open(path, encoding="utf-8").read())
    print(json.dumps({"path": path, "findings": [[f.line, f.code] for f in result.findings],
                      "error": result.error, "time": time.monotonic() - start}), flush=True)
"""


def _common_stack() -> None:
    """The child gets Linux's usual 8 MiB stack (the default ``ulimit -s``), whatever the limit
    of the test session, so that stack overflows reproduce."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_STACK)
    limit = 8 * 1024 * 1024
    if hard == resource.RLIM_INFINITY or hard >= limit:
        resource.setrlimit(resource.RLIMIT_STACK, (limit, hard))


def analyze_in_child(paths: list[Path]) -> dict[str, dict]:
    """analyze() each file in a child interpreter: a segfault fails the test, naming the file."""
    done = subprocess.run([sys.executable, "-c", _ANALYZE_IN_CHILD, *map(str, paths)],
                          capture_output=True, text=True, timeout=300, check=False,
                          preexec_fn=_common_stack)
    records = [json.loads(line) for line in done.stdout.splitlines()]
    if done.returncode != 0:
        last = records[-1]["path"] if records else "?"
        pytest.fail(f"analyze() killed the interpreter (exit {done.returncode}) on {last}\n{done.stderr[-2000:]}")
    return {Path(r["path"]).name: r for r in records if "findings" in r}


def check_deep(tmp_path: Path, sources: dict[str, str]) -> None:
    """Each file through analyze() (child process), one flake8 run and one CLI run (-j2)."""
    paths = []
    for name, source in sources.items():
        path = tmp_path / f"{name}.py"
        path.write_text(source)
        paths.append(path)
    analysed = analyze_in_child(paths)
    for name in sources:
        record = analysed[f"{name}.py"]
        assert record["time"] < 60, (name, record)
        assert record["findings"] in ([], [DEEP_FINDING]), (name, record)
        # No finding and no error is allowed: libcst may refuse the class (yields nothing).
    for done in run_flake8_around_its_own_failures(paths, cwd=tmp_path):
        both = done.stdout + done.stderr
        assert done.returncode in (0, 1), f"flake8 exited {done.returncode}\n{both[-3000:]}"
        for mark in PLUGIN_FAILURE_MARKS:
            assert mark not in both, both[-3000:]
    cli_done = run_cli_process("-j", "2", "--format", "json", ".", cwd=tmp_path, timeout=300)
    assert cli_done.returncode in (0, 1), f"CLI exited {cli_done.returncode}\n{cli_done.stderr[-3000:]}"
    assert "Traceback" not in cli_done.stderr
    found = cli_findings(cli_done.stdout)
    errors = cli_errors(cli_done.stderr)
    for name in sources:
        file = f"{name}.py"
        assert found.get(file, []) in ([], [tuple(DEEP_FINDING)]), file
        assert not (file in found and file in errors), (file, errors.get(file))


def test_deep_expressions(tmp_path: Path) -> None:
    check_deep(tmp_path, {name: deep_source(expression) for name, expression in DEEP.items()})


@pytest.mark.parametrize("name", list(SEGFAULTS))
def test_flat_in_ast_nested_in_libcst_does_not_kill_the_run(tmp_path: Path, name: str) -> None:
    check_deep(tmp_path, {name: deep_source(SEGFAULTS[name])})


LAMBDAS = "lambda: " * 1000 + "torch.zeros(1)"


def test_nested_lambdas_analyze_never_raises() -> None:
    result = analyze(deep_source(LAMBDAS))
    assert result.error is not None or [(f.line, f.code) for f in result.findings] == [(7, "TPC001")]


def test_nested_lambdas_flake8_and_cli_survive(tmp_path: Path) -> None:
    (tmp_path / "lambdas.py").write_text(deep_source(LAMBDAS))
    done = run_flake8("lambdas.py", cwd=tmp_path)
    assert_flake8_survived(done)
    cli_done = run_cli_process("-j", "1", "lambdas.py", cwd=tmp_path)
    assert cli_done.returncode in (0, 1) and "Traceback" not in cli_done.stderr
    assert len(cli_done.stderr.splitlines()) <= 1


def test_segfaulting_shape_outside_module_classes_is_harmless(tmp_path: Path) -> None:
    """Only Module classes are parsed with libcst: the same shape at module level is fine."""
    source = "y = c" + " and c" * 20_000 + "\n" + BUGGY
    (tmp_path / "top.py").write_text(source)
    record = analyze_in_child([tmp_path / "top.py"])["top.py"]
    assert record["findings"] == [[7, "TPC001"]] and record["error"] is None


# -- files that misbehave ---------------------------------------------------------------------


def test_symlink_loops_in_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "m.py").write_text(BUGGY)
    os.symlink(pkg, pkg / "loop")  # a folder loop
    os.symlink(tmp_path, pkg / "up")  # a loop through the parent
    os.symlink(pkg / "a.py", pkg / "b.py")  # a file loop: a -> b -> a
    os.symlink(pkg / "b.py", pkg / "a.py")
    os.symlink(pkg / "nowhere.py", pkg / "dangling.py")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main(capsys, "pkg")
    assert code == 1
    [line] = out.splitlines()
    assert line.startswith(f"{os.path.join('pkg', 'm.py')}:6:9: TPC001 ")
    errors = cli_errors(err)
    assert set(errors) <= {"a.py", "b.py", "dangling.py"}
    done = run_cli_process("-j", "2", "pkg", cwd=tmp_path, timeout=60)
    assert done.returncode == 1 and done.stdout == out and "Traceback" not in done.stderr


def test_file_disappears_between_listing_and_reading(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "gone.py").write_text(BUGGY)
    (tmp_path / "kept.py").write_text(BUGGY)
    real_discover = cli.discover

    def discover_then_delete(paths, excludes=(), notebooks=True):  # type: ignore[no-untyped-def]
        found = real_discover(paths, excludes, notebooks)
        (tmp_path / "gone.py").unlink()
        return found

    monkeypatch.setattr(cli, "discover", discover_then_delete)
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main(capsys, ".")
    assert code == 1
    assert out.startswith("./kept.py:6:9: TPC001") and "gone.py" not in out
    assert err.splitlines() == ["./gone.py: error: No such file or directory"]


def test_missing_and_folder_paths(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ok.py").write_text(BUGGY)
    (tmp_path / "dir.py").mkdir()  # a folder named like a file
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main(capsys, "missing.py", "ok.py", "dir.py")
    assert code == 1 and out.startswith("ok.py:6:9: TPC001")
    assert "missing.py: error: " in err and "Traceback" not in err


# -- --fix: atomic, permission-keeping, never a partial file ----------------------------------


def fixer_works() -> bool:
    """Whether the fixer rewrites BUGGY (it is a stub until the fixer work lands)."""
    return fix_source(BUGGY).changed


def files_in(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def test_fix_read_only_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch) -> None:
    """No write bit: one clear line, the file unchanged (the CLI counts a file without write bits
    as read-only even for root, whom chmod does not stop)."""
    ro = tmp_path / "ro.py"
    ro.write_text(BUGGY)
    ro.chmod(0o444)
    monkeypatch.chdir(tmp_path)
    try:
        code, out, err = run_main(capsys, "--fix", "ro.py")
    finally:
        ro.chmod(0o644)
    assert ro.read_text() == BUGGY
    assert files_in(tmp_path) == ["ro.py"]
    assert code == 1 and out.startswith("ro.py:6:9: TPC001")  # the finding is left
    errors = [line for line in err.splitlines() if ": error: " in line]
    if fixer_works():
        assert errors == ["ro.py: error: cannot write: the file is read-only"], err
    else:
        assert errors == []


def test_fix_when_replace_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The rename itself fails (what a read-only place does to root): no partial file, no
    temporary left behind, one error line, the other file still fixed."""
    target = tmp_path / "a.py"
    target.write_text(BUGGY)
    other = tmp_path / "b.py"
    other.write_text(BUGGY)
    real_replace = os.replace

    def refuse(src, dst, *args, **kwargs):  # type: ignore[no-untyped-def]
        if os.path.basename(dst) == "a.py":
            raise PermissionError(13, "Permission denied")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", refuse)
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main(capsys, "--fix", "a.py", "b.py")
    assert target.read_text() == BUGGY
    assert files_in(tmp_path) == ["a.py", "b.py"]
    assert "Traceback" not in err
    if fixer_works():
        assert [line for line in err.splitlines() if ": error: " in line] == [
            "a.py: error: cannot write: Permission denied"
        ]
        assert other.read_text() != BUGGY and ast.parse(other.read_text())
        assert out.startswith("a.py:6:9: TPC001") and "b.py" not in out
    assert code == 1


def test_fix_keeps_permissions_and_is_atomic(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "m.py"
    path.write_text(BUGGY)
    path.chmod(0o640)
    inode_before = path.stat().st_ino
    monkeypatch.chdir(tmp_path)
    code, _, err = run_main(capsys, "--fix", "m.py")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert files_in(tmp_path) == ["m.py"]
    assert "Traceback" not in err
    if fixer_works():
        assert code == 0
        assert path.read_text() != BUGGY and ast.parse(path.read_text())
        assert path.stat().st_ino != inode_before  # replaced by rename, not written in place
        assert analyze(path.read_text()).findings == []
    else:
        assert path.read_text() == BUGGY


def test_fix_hostile_files_never_corrupts(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """--fix over every hostile case: files that cannot be analysed stay byte for byte; files
    that are rewritten still parse and keep their encoding, BOM and line endings."""
    write_cases(tmp_path, CASES)
    before = {c.name: c.data for c in CASES}
    monkeypatch.chdir(tmp_path)
    cli.main(["--isolated", "-j", "1", "--fix", "."])
    capsys.readouterr()
    for case in CASES:
        after = (tmp_path / f"{case.name}.py").read_bytes()
        if case.expected in (None, UNDECODABLE, []):
            assert after == before[case.name], case.name
            continue
        if after == before[case.name]:
            continue
        decoded = decode_source(after)
        ast.parse(decoded.text)
        assert decoded.bom == before[case.name].startswith(b"\xef\xbb\xbf")
        if b"\r\n" in before[case.name]:
            assert after.count(b"\n") == after.count(b"\r\n"), case.name
        elif b"\r" in before[case.name]:
            assert b"\n" not in after, case.name
    assert files_in(tmp_path) == sorted(f"{c.name}.py" for c in CASES)


# -- the work bound ---------------------------------------------------------------------------


def test_work_bound_stops_a_huge_init() -> None:
    """An __init__ whose evaluation needs more than MAX_STEPS steps stops with a reason."""
    elements = MAX_STEPS + 10
    source = HEADER + "class M(nn.Module):\n    def __init__(self, c):\n        super().__init__()\n" \
        "        self.x = [torch.zeros(1)" + ", c" * elements + "]\n"
    start = time.monotonic()
    result = analyze(source)
    elapsed = time.monotonic() - start
    assert result.error == "analysis stopped: the file exceeds the work bound"
    assert elapsed < HANG, f"{elapsed:.1f}s"


def test_work_bound_keeps_findings_before_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """Classes analysed before the bound keep their findings through analyze() (a small bound
    here, so that the test is quick)."""
    monkeypatch.setattr(session_module, "MAX_STEPS", 2000)
    first = "class A(nn.Module):\n    def __init__(self):\n        super().__init__()\n" \
            "        self.pe = torch.zeros(3)\n"
    second = "class B(nn.Module):\n    def __init__(self, c):\n        super().__init__()\n" \
             "        self.x = [torch.zeros(1)" + ", c" * 3000 + "]\n"
    result = analyze(HEADER + first + second)
    assert result.error == "analysis stopped: the file exceeds the work bound"
    assert [(f.line, f.code) for f in result.findings] == [(6, "TPC001")]
    result = analyze(HEADER + first + second.replace("3000", "30").replace(", c" * 3000, ", c" * 30))
    assert result.error is None


def test_work_bound_long_helper_chain() -> None:
    """Helpers calling each other in a long chain: linear (each helper is evaluated once)."""
    helpers = "".join(f"def h{i}(x):\n    return h{i + 1}(x)\n" for i in range(400))
    helpers += "def h400(x):\n    return torch.zeros(x)\n"
    source = HEADER + helpers + "class M(nn.Module):\n    def __init__(self):\n" \
        "        super().__init__()\n        self.pe = h0(3)\n"
    start = time.monotonic()
    result = analyze(source)
    assert time.monotonic() - start < HANG
    # Deeper than the recursion limit allows is unknown (no finding), never a crash.
    assert [f.code for f in result.findings] in ([], ["TPC001"])
    short = HEADER + "".join(f"def h{i}(x):\n    return h{i + 1}(x)\n" for i in range(20))
    short += "def h20(x):\n    return torch.zeros(x)\nclass M(nn.Module):\n    def __init__(self):\n" \
        "        super().__init__()\n        self.pe = h0(3)\n"
    assert [f.code for f in analyze(short).findings] == ["TPC001"]


def test_work_bound_covers_branch_merges(monkeypatch: pytest.MonkeyPatch) -> None:
    """Work is counted in joins of two values (deterministic, unlike a time bound): a file may
    not do more than a small multiple of MAX_STEPS of them without being stopped."""
    joins = 0
    real_join = values.join

    def counting_join(a, b):  # type: ignore[no-untyped-def]
        nonlocal joins
        joins += 1
        return real_join(a, b)

    monkeypatch.setattr(values, "join", counting_join)
    n = 1000
    body = "".join(f"        x{i} = {i}\n" for i in range(n)) + "        if c:\n            pass\n" * n
    source = HEADER + "class M(nn.Module):\n    def __init__(self, c):\n        super().__init__()\n" \
        "        self.pe = torch.zeros(3)\n" + body
    result = analyze(source)
    assert joins <= 2 * MAX_STEPS or result.error == "analysis stopped: the file exceeds the work bound", joins
