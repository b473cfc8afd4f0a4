"""Every rule example, through the analysis and through a real flake8 run."""

from __future__ import annotations

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
    for finding in analyze(example.source).findings:
        assert finding.col in example.target_columns(finding.line)
        assert f"self.{finding.attr}" in example.source.splitlines()[finding.line - 1]


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
