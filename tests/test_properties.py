"""Property tests: generated programs never break the analysis, the plugin or the fixer.

Two sources of programs:

* ``hypothesmith.from_grammar()``: arbitrary syntactically valid Python (also wrapped into an
  ``nn.Module.__init__``), for "never raises" and the fixer's invariants;
* a strategy built from the rules' own grammar: Module classes with random import aliases, bases
  (torch layers, same-file chains, mixins), registrations, tensor factories, containers, nesting,
  locals and helpers.  Each class holds one statement whose code is known by construction, so the
  reported codes are checked exactly.

Settings profiles: ``tpc-ci`` (the default: a small fixed, derandomized budget, so CI is quick
and deterministic) and ``tpc-big`` when ``TPC_HYPOTHESIS_EXAMPLES`` is set (that many examples,
random).  Example: ``TPC_HYPOTHESIS_EXAMPLES=2000 pytest tests/test_properties.py``.
"""

from __future__ import annotations

import ast
import os
import textwrap
from collections import Counter

import hypothesmith
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flake8_param_check.analysis import analyze
from flake8_param_check.findings import Analysis
from flake8_param_check.fixer import fix_source
from flake8_param_check.plugin import ParamCheckPlugin

_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile("tpc-ci", max_examples=40, deadline=None, derandomize=True,
                          suppress_health_check=_SLOW_OK, print_blob=True)
settings.register_profile("tpc-big", max_examples=int(os.environ.get("TPC_HYPOTHESIS_EXAMPLES") or 2000),
                          deadline=None, suppress_health_check=_SLOW_OK, print_blob=True)
PROFILE = settings.get_profile("tpc-big" if os.environ.get("TPC_HYPOTHESIS_EXAMPLES") else "tpc-ci")


def smaller(factor: int) -> settings:
    """The profile with ``factor`` times fewer examples (for the slow grammar-based strategy)."""
    return settings(PROFILE, max_examples=max(10, PROFILE.max_examples // factor))


# -- invariants shared by both sources ----------------------------------------------------------


def plugin_findings(source: str) -> list[tuple[int, int, str]]:
    tree = ast.parse(source)
    plugin = ParamCheckPlugin(tree, source.splitlines(keepends=True), "stdin")
    return [(line, col, message.split()[0]) for line, col, message, _ in plugin.run()]


def key(findings) -> Counter:  # type: ignore[no-untyped-def]
    """Findings compared across a fix: line numbers move when an import is inserted."""
    return Counter((f.code, f.attr) for f in findings)


def check_invariants(source: str) -> Analysis:
    """analyze() and the plugin never raise and agree; the fixer's output parses, fixes exactly
    the findings it says it fixed, and a second fix changes nothing."""
    result = analyze(source)
    assert isinstance(result, Analysis)
    assert all(f.line >= 1 and f.col >= 0 for f in result.findings)
    assert sorted((f.line, f.col, f.code) for f in result.findings) == sorted(plugin_findings(source))

    fixed = fix_source(source)
    assert fixed.source is not None
    if fixed.error is not None or not fixed.changed:
        assert fixed.source == source or fixed.error is not None
        return result
    ast.parse(fixed.source)
    assert key(fixed.fixed) + key(fixed.unfixed) == key(result.findings)
    after = analyze(fixed.source)
    assert after.error is None, after.error
    assert key(after.findings) == key(fixed.unfixed), (source, fixed.source)
    again = fix_source(fixed.source)
    assert not again.changed and again.source == fixed.source, (fixed.source, again.source)
    return result


# -- (a) hypothesmith: arbitrary Python ---------------------------------------------------------

HEADER = "import torch\nfrom torch import nn\n"


MODULE_TAIL = ("class M(nn.Module):\n    def __init__(self, c):\n        super().__init__()\n"
               "        self.pe = torch.zeros(3)\n")


def _parses(source: str) -> bool:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def embed_in_a_module(body: str) -> str:
    """A generated program as the body of an ``nn.Module.__init__`` that also stores a tensor;
    when indenting it breaks it (multi-line strings, continuations), the program goes before the
    class instead (no example is rejected: rejection makes hypothesmith slow)."""
    if not body.endswith("\n"):
        body += "\n"
    inside = (HEADER + "class M(nn.Module):\n    def __init__(self, c):\n        super().__init__()\n"
              + textwrap.indent(body, "        ") + "        self.pe = torch.zeros(3)\n")
    if body.strip() and _parses(inside):
        return inside
    return HEADER + body + MODULE_TAIL


@smaller(2)
@given(hypothesmith.from_grammar())
def test_grammar_programs_never_break_anything(source: str) -> None:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        assert analyze(source).error is not None
        return
    check_invariants(source)


@smaller(2)
@given(hypothesmith.from_grammar().map(embed_in_a_module))
def test_grammar_programs_inside_a_module_never_break_anything(source: str) -> None:
    check_invariants(source)


# -- (b) Module classes from the rules' grammar ---------------------------------------------------

#: (import lines, how torch is spelt, how torch.nn is spelt)
IMPORTS = [
    ("import torch\nfrom torch import nn\n", "torch", "nn"),
    ("import torch\nimport torch.nn as nn\n", "torch", "nn"),
    ("import torch as th\n", "th", "th.nn"),
    ("import torch\n", "torch", "torch.nn"),
    ("import torch as T\nfrom torch import nn as tnn\n", "T", "tnn"),
    ("import torch.nn\n", "torch", "torch.nn"),
]

#: Statements (``{t}``: torch, ``{nn}``: torch.nn) and the code each reports on ``self.x``.
STATEMENTS: list[tuple[str, str | None]] = [
    ("self.x = {t}.zeros(3)", "TPC001"),
    ("self.x = {t}.ones(2, 2) * 2", "TPC001"),
    ("self.x = {t}.arange(4).float()", "TPC001"),
    ("self.x = {t}.tensor([1.0, 2.0])", "TPC001"),
    ("buf = {t}.randn(3)\nself.x = buf", "TPC001"),
    ("self.x = make_table(3)", "TPC001"),
    ("self._build()", "TPC001"),
    ("self.x = {t}.randn(3, requires_grad=True)", "TPC002"),
    ("self.x = {t}.zeros(3).requires_grad_()", "TPC002"),
    ("self.x = [{nn}.Linear(2, 2), {nn}.ReLU()]", "TPC003"),
    ("self.x = [{nn}.Linear(2, 2) for _ in range(3)]", "TPC003"),
    ('self.x = {{"a": {nn}.Linear(2, 2)}}', "TPC003"),
    ("self.x = ({nn}.ReLU(),)", "TPC003"),
    ("self.x = []\nfor _ in range(2):\n    self.x.append({nn}.Linear(1, 1))", "TPC003"),
    ("self.x = [{nn}.Parameter({t}.zeros(1)) for _ in range(2)]", "TPC004"),
    ("self.x = [{t}.zeros(1), {t}.ones(1)]", "TPC004"),
    ('self.x = {{"w": {nn}.Parameter({t}.zeros(1))}}', "TPC004"),
    ("self.x = {nn}.Parameter({t}.zeros(1)).cuda()", "TPC005"),
    ("self.x = {nn}.Parameter({t}.zeros(1)).double()", "TPC005"),
    ('self.x = {nn}.Parameter({t}.ones(1)).to("cpu")', "TPC005"),
    ('self.register_buffer("x", {t}.zeros(3))', None),
    ('self.register_buffer("x", {t}.zeros(3))\nself.x = {t}.ones(3)', None),
    ("self.x = {nn}.Parameter({t}.zeros(3))", None),
    ("self.x = {nn}.Parameter({t}.randn(3, requires_grad=True))", None),
    ("self.x = {nn}.Buffer({t}.zeros(3))", None),
    ("self.x = {nn}.Linear(2, 2)", None),
    ("self.x = {nn}.ModuleList([{nn}.Linear(2, 2)])", None),
    ("self.x = {nn}.ParameterList([{nn}.Parameter({t}.zeros(1))])", None),
    ("self.x = 3", None),
    ("self.x = {t}.zeros(3).tolist()", None),
    ("self.x = {t}.float32", None),
    ("self.x = []", None),
    ("layers = [{nn}.ReLU()]\nself.seq = {nn}.Sequential(*layers)\nself.x = layers", None),
]

#: Blocks around the statement: (opening lines, extra indent).  ``{t}``: torch.
WRAPPERS = [
    ("", ""),
    ("if c:\n", "    "),
    ("for _ in range(2):\n", "    "),
    ("with {t}.no_grad():\n", "    "),
    ("try:\n", "    "),
    ("if c:\n    pass\nelse:\n", "    "),
]

NOISE = ["n = 3", "dim = n * 2 if c else 4", 'name = "a"', "self.k = 3", "self.lin = {nn}.Linear(2, 2)",
         "self.act = {t}.relu", "self.shape = (2, 3)"]


@st.composite
def module_file(draw: st.DrawFn) -> tuple[str, list[tuple[int, str]]]:
    """A file of one to three Module classes, each with one statement of known code; returns the
    source and the expected (line, code) findings."""
    imports, t, nn = draw(st.sampled_from(IMPORTS))
    lines = imports.splitlines()
    lines += ["", "def make_table(n):", f"    return {t}.zeros(n)", ""]
    lines += [f"class Base({nn}.Module):", "    def __init__(self):", "        super().__init__()", "",
              "class Mid(Base):", "    pass", "", "class Mixin:", "    def helper(self):", "        return 1", ""]
    expected: list[tuple[int, str]] = []
    for index in range(draw(st.integers(1, 3))):
        base = draw(st.sampled_from([f"{nn}.Module", "Base", "Mid", f"Mixin, {nn}.Module", f"{nn}.Module, Mixin"]))
        statement, code = draw(st.sampled_from(STATEMENTS))
        opening, indent = draw(st.sampled_from(WRAPPERS))
        noise_before = draw(st.lists(st.sampled_from(NOISE), max_size=3))
        noise_after = draw(st.lists(st.sampled_from(NOISE), max_size=2))
        lines += [f"class M{index}({base}):", "    def __init__(self, c=True):", "        super().__init__()"]
        lines += ["        " + n.format(t=t, nn=nn) for n in noise_before]
        for opener in opening.format(t=t).splitlines():
            lines.append("        " + opener if not opener.startswith("    ") else "        " + opener)
        target_line = None
        for part in statement.format(t=t, nn=nn).splitlines():
            lines.append("        " + indent + part)
            if target_line is None and (part.startswith("self.x =") or part.startswith("self.x=")):
                target_line = len(lines)
        if opening.startswith("try"):
            lines += ["        except Exception:", "            pass"]
        lines += ["        " + n.format(t=t, nn=nn) for n in noise_after]
        if statement == "self._build()":
            lines += ["", "    def _build(self):"]
            target_line = len(lines) + 1
            lines.append(f"        self.x = {t}.zeros(3)")
        lines += ["", "    def forward(self, y):", "        return y", ""]
        if code is not None:
            assert target_line is not None, statement
            expected.append((target_line, code))
    return "\n".join(lines) + "\n", sorted(expected)


@PROFILE
@given(module_file())
def test_generated_modules_report_exactly_the_known_codes(case: tuple[str, list[tuple[int, str]]]) -> None:
    source, expected = case
    result = analyze(source)
    assert result.error is None, result.error
    assert [(f.line, f.code) for f in result.findings] == expected, source
    for finding in result.findings:
        assert source.splitlines()[finding.line - 1][finding.col :].startswith("self.x")


@PROFILE
@given(module_file())
def test_generated_modules_fix_cleanly(case: tuple[str, list[tuple[int, str]]]) -> None:
    source, _ = case
    check_invariants(source)


@st.composite
def messy_module_file(draw: st.DrawFn) -> str:
    """Random mixes: several statements per class (any attribute names, repeated targets),
    torch-layer bases, nested blocks, deletes, tuple targets.  Codes are not predicted here;
    only the invariants are checked."""
    imports, t, nn = draw(st.sampled_from(IMPORTS))
    lines = imports.splitlines() + ["", "def make_table(n):", f"    return {t}.zeros(n)", ""]
    attrs = ["x", "y", "weight", "bias", "layers"]
    for index in range(draw(st.integers(1, 2))):
        base = draw(st.sampled_from([f"{nn}.Module", f"{nn}.Linear", f"{nn}.Sequential", "object", "Unknown"]))
        lines += [f"class C{index}({base}):", "    def __init__(self, c=True):", "        super().__init__()"]
        for _ in range(draw(st.integers(1, 6))):
            statement, _code = draw(st.sampled_from(STATEMENTS))
            attr = draw(st.sampled_from(attrs))
            statement = statement.replace("self.x", f"self.{attr}").replace('"x"', f'"{attr}"')
            if statement == "self._build()":
                statement = f"self.{attr} = make_table(2)"
            opening, indent = draw(st.sampled_from(WRAPPERS))
            openers = opening.format(t=t).splitlines()
            lines += ["        " + o for o in openers]
            lines += ["        " + indent + part for part in statement.format(t=t, nn=nn).splitlines()]
            if opening.startswith("try"):
                lines += ["        except Exception:", "            pass"]
            extra = draw(st.sampled_from(["", f"del self.{attr}", f"self.{attr}, self.z = {t}.ones(1), 2",
                                          f"self.{attr}.requires_grad = True", f"x = self.{attr}"]))
            if extra:
                lines.append("        " + extra)
        lines += ["", "    def forward(self, y):", "        self.cache = y * 2", "        return y", ""]
    return "\n".join(lines) + "\n"


@PROFILE
@given(messy_module_file())
def test_messy_modules_never_break_anything(source: str) -> None:
    result = check_invariants(source)
    assert result.error is None, result.error
