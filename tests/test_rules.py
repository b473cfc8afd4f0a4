"""Every rule example, through the analysis and through a real flake8 run."""

from __future__ import annotations

import re
import ast
import subprocess
import sys
from pathlib import Path

import pytest

from examples import INVALID, VALID, Example
from flake8_param_check.analysis import analyze
from flake8_param_check.codes import CODES
from flake8_param_check.rules import RULES


def found(example: Example) -> list[tuple[int, str]]:
    result = analyze(example.source, path=None)
    assert result.error is None
    return [(f.line, f.code) for f in result.findings]


@pytest.mark.parametrize("example", VALID, ids=lambda e: e.id)
def test_valid_example_has_no_finding(example: Example) -> None:
    assert found(example) == []


@pytest.mark.parametrize("example", INVALID, ids=lambda e: e.id)
def test_invalid_example_reports_exactly_its_markers(example: Example) -> None:
    assert example.expected, "an INVALID example must mark at least one line"
    assert found(example) == list(example.expected)


@pytest.mark.parametrize("example", INVALID, ids=lambda e: e.id)
def test_findings_point_at_the_self_target(example: Example) -> None:
    """A binding's finding points at its ``self.<attr>`` target; another fact's at the call it
    names (``nn.Linear(...)`` built in forward, ``x.to(d)`` dropped), whose text starts there."""
    from flake8_param_check.rules import BINDINGS, BY_CODE, judges

    for finding in analyze(example.source).findings:
        line = example.source.splitlines()[finding.line - 1]
        if judges(BY_CODE[finding.code]) == BINDINGS:
            assert finding.col in example.target_columns(finding.line)
            assert f"self.{finding.attr}" in line
        else:
            assert line[finding.col:].startswith(finding.attr)


def test_every_code_has_a_rule_with_examples() -> None:
    assert sorted(rule.CODE for rule in RULES) == sorted(CODES)
    for rule in RULES:
        assert rule.VALID and rule.INVALID, rule.CODE
        assert rule.__doc__ and rule.CODE in rule.__doc__


def test_flake8_reports_the_same(tmp_path: Path) -> None:
    """One real flake8 process over every example file: same codes, same lines, 1-based columns."""
    expected: set[tuple[str, int, int, str]] = set()
    for example in VALID + INVALID:
        path = tmp_path / f"{example.id.replace('-', '_')}.py"
        path.write_text(example.source)
        for finding in analyze(example.source).findings:
            expected.add((path.name, finding.line, finding.col + 1, finding.code))
        assert {(line, code) for line, code in example.expected} <= {
            (f.line, f.code) for f in analyze(example.source).findings
        }
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select=TPC", "--format=%(path)s:%(row)d:%(col)d:%(code)s", "."],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )
    assert result.stderr == ""
    reported = set()
    for line in result.stdout.splitlines():
        path, row, col, code = line.rsplit(":", 3)
        reported.add((Path(path).name, int(row), int(col), code))
    assert reported == expected
    assert reported, "the examples must produce findings"


# -- what a rule module declares -----------------------------------------------------------------


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.CODE)
def test_rule_module_declares_every_field(rule) -> None:  # type: ignore[no-untyped-def]
    from flake8_param_check.rules._base import REQUIRED, Scope

    missing = [name for name in REQUIRED if not hasattr(rule, name)]
    assert missing == [], f"{rule.__name__} does not declare {missing}"
    assert re.fullmatch(r"TPC\d{3}", rule.CODE) and rule.__name__.endswith("." + rule.CODE.lower())
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.NAME)
    assert isinstance(rule.SCOPE, Scope)
    assert isinstance(rule.PRIORITY, int)
    assert callable(rule.check)
    for text in (rule.MESSAGE, rule.SUMMARY, rule.WHY, rule.FIX_TEXT, rule.FIELDS_TEXT):
        assert isinstance(text, str) and text.strip()
    assert "{attr}" in rule.MESSAGE and "{attr}" in rule.FIELDS_TEXT
    assert CODES[rule.CODE].template == rule.MESSAGE and CODES[rule.CODE].name == rule.NAME


def test_rules_are_tried_in_the_order_of_their_priorities() -> None:
    priorities = [rule.PRIORITY for rule in RULES]
    assert priorities == sorted(priorities) and len(set(priorities)) == len(priorities)
    order = [rule.CODE for rule in RULES]
    # A converted Parameter or a trainable tensor is reported as such, not as a plain tensor;
    # a tensor moved by hand (TPC006) before TPC001, which it takes over; a shared Module (TPC007)
    # before the plain list holding it (TPC003), since fixing TPC003 alone keeps the sharing.
    expected = ["TPC005", "TPC002", "TPC006", "TPC001", "TPC007", "TPC003", "TPC004", "TPC008", "TPC009"]
    assert order == expected


def test_the_incomplete_analysis_code_is_known_but_not_a_rule() -> None:
    from flake8_param_check import codes

    assert codes.INCOMPLETE.code == "TPC900" and codes.INCOMPLETE.code not in CODES
    assert codes.ALL_CODES == (*CODES, "TPC900")
    assert codes.message("TPC900", reason="nesting too deep") == (
        "TPC900 flake8-param-check could not fully analyse this file: nesting too deep"
    )


def test_reading_the_codes_imports_no_libcst() -> None:
    """The flake8 plugin reads every rule module at start; libcst waits for a file that needs it."""
    code = (
        "import sys\n"
        "import flake8_param_check.plugin, flake8_param_check.codes, flake8_param_check.rules\n"
        "from flake8_param_check.analysis import analyze\n"
        "analyze('import os\\nclass A(object):\\n    x = 1\\n')\n"
        "assert 'libcst' not in sys.modules, 'libcst imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- cases the rule examples cannot hold (the torch tier builds each example's classes by name) ----

OUTSIDE_INIT = """import torch
from torch import nn

class Attack(nn.Module):
    def reset(self, x):
        self.delta = torch.zeros_like(x)

    def fit(self):
        self.delta.requires_grad_()

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.ones(3)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.b = torch.ones(3)
"""

APPLIED = """import torch
from torch import nn

class Grid(nn.Module):
    def __init__(self, n=3):
        super().__init__()
        self.grid = torch.zeros(n, 2)

    def _apply(self, fn, recurse=True):
        super()._apply(fn, recurse)
        self.grid = fn(self.grid)
        return self
"""


def test_an_apply_override_moves_the_attribute() -> None:
    """A class whose ``_apply`` applies ``fn`` to an attribute moves it with ``.to()``/``.cuda()``
    (the torch tier checks that claim): no finding."""
    assert analyze(APPLIED).findings == []
    assert [f.code for f in analyze(APPLIED.replace("self.grid = fn(self.grid)", "pass")).findings] == ["TPC001"]


def test_made_trainable_outside_init_and_a_class_defined_twice(tmp_path: Path) -> None:
    """A tensor stored in one method and made trainable in another, outside __init__, is TPC002 at
    the store; a class name defined twice in a file (notebook cells) has both classes checked."""
    expected = [(6, "TPC002"), (14, "TPC001"), (19, "TPC001")]
    assert [(f.line, f.code) for f in analyze(OUTSIDE_INIT).findings] == expected
    (tmp_path / "m.py").write_text(OUTSIDE_INIT)
    done = subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select=TPC",
                           "--format=%(row)d:%(code)s", "m.py"], cwd=tmp_path, capture_output=True, text=True)
    assert done.stdout.split() == [f"{line}:{code}" for line, code in expected]


def test_no_class_or_function_of_the_package_is_over_300_lines() -> None:
    """Rooms stay small enough to read (the issue that split the walker and the fixer)."""
    import flake8_param_check

    package = Path(flake8_param_check.__file__).parent
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                assert node.end_lineno - node.lineno < 300, f"{path.name}: {node.name}"
