"""The docs say what the code does: generated pages are current, every code and CLI option is
documented, and the README's set-up commands are the ones CI runs."""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from pathlib import Path

import pytest

from flake8_param_check.cli import build_parser
from flake8_param_check.codes import CODES

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CI_RUN = ROOT / ".ci" / "run"


def _load_make_docs():
    spec = importlib.util.spec_from_file_location("make_docs", ROOT / "scripts" / "make_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_docs", module)
    spec.loader.exec_module(module)
    return module


make_docs = _load_make_docs()


def readme() -> str:
    return README.read_text(encoding="utf-8")


def code_blocks(text: str) -> list[str]:
    """The contents of the fenced code blocks of a Markdown text."""
    return re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


# -- generated files --------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(make_docs.generate(), key=str), ids=lambda p: p.name)
def test_generated_file_is_up_to_date(path: Path) -> None:
    expected = make_docs.generate()[path]
    assert path.is_file(), f"{path} is missing: run python scripts/make_docs.py"
    assert path.read_text(encoding="utf-8") == expected, f"{path} is stale: run python scripts/make_docs.py"


def test_check_mode_agrees() -> None:
    assert make_docs.out_of_date() == []
    assert make_docs.main(["--check"]) == 0


def test_no_page_for_a_code_that_does_not_exist() -> None:
    assert make_docs.stale_pages() == []


@pytest.mark.parametrize("code", list(CODES))
def test_every_code_has_a_page_and_a_readme_row(code: str) -> None:
    page = ROOT / "docs" / "rules" / f"{code}.md"
    text = page.read_text(encoding="utf-8")
    assert text.count(f"# {code} {CODES[code].name}\n") == 1
    sections = ("What it does", "Why is this bad?", "Example", "Use instead", "Fix", "Message")
    sections += ("Not reported",)
    for section in sections:
        assert f"\n## {section}\n" in text, f"{page.name} has no '{section}' section"
    table = readme().split(make_docs.START, 1)[1].split(make_docs.END, 1)[0]
    rows = [line for line in table.splitlines() if line.startswith(f"| [{code}](docs/rules/{code}.md) |")]
    assert len(rows) == 1
    assert CODES[code].name in rows[0]


def test_every_code_has_prose() -> None:
    assert set(make_docs.WHY) == set(CODES)
    assert set(make_docs.FIX) == set(CODES)


def test_examples_on_pages_are_reported_by_the_analysis() -> None:
    """The page's Example is reported under its code, and its Use instead under none."""
    from flake8_param_check.analysis import analyze

    for code, rule in make_docs.BY_CODE.items():
        bad = analyze(make_docs._clean(rule.INVALID[0])).findings
        assert code in {f.code for f in bad}
        assert analyze(make_docs.use_instead(rule)).findings == []


# -- the README against CI and the CLI --------------------------------------------------------


def ci_commands() -> list[str]:
    """The set-up and test commands .ci/run runs: its ``pip install -e`` and ``pytest`` lines."""
    lines = [line.strip() for line in CI_RUN.read_text(encoding="utf-8").splitlines()]
    setup = [line for line in lines if line.startswith("python -m pip install -e ")]
    tests = [line for line in lines if re.match(r"python -m pytest\b", line)]
    assert len(setup) == 1 and len(tests) == 1, ".ci/run should run one set-up and one test command"
    return [setup[0], tests[0]]


def test_ci_runs_the_expected_commands() -> None:
    assert ci_commands() == ['python -m pip install -e ".[test]"', "python -m pytest"]


def test_readme_setup_commands_are_what_ci_runs() -> None:
    commands = ci_commands()
    blocks = [block.splitlines() for block in code_blocks(readme())]
    assert any(all(command in block for command in commands) for block in blocks), (
        f"README.md has no code block holding exactly these lines: {commands}"
    )


def long_options(parser: argparse.ArgumentParser) -> list[str]:
    return sorted(
        option
        for action in parser._actions
        for option in action.option_strings
        if option.startswith("--")
    )


def test_cli_parser_has_options() -> None:
    assert "--fix" in long_options(build_parser())


@pytest.mark.parametrize("option", long_options(build_parser()))
def test_every_cli_option_is_in_the_readme(option: str) -> None:
    assert re.search(re.escape(option) + r"(?![\w-])", readme()), f"README.md does not mention {option}"


def test_readme_mentions_every_output_format() -> None:
    from flake8_param_check.formats import FORMATS

    for name in FORMATS:
        assert f"`{name}`" in readme()


def test_readme_links_resolve() -> None:
    """Relative links of the README and of the rule pages point at files that exist."""
    pages = [README, *sorted((ROOT / "docs" / "rules").glob("TPC*.md"))]
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if "://" in target:
                continue
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


def test_readme_example_is_reported_as_its_comments_say() -> None:
    """The README's first Python example: each line marked ``# TPCnnn`` is reported, nothing else."""
    from flake8_param_check.analysis import analyze

    example = next(block for block in re.findall(r"```python\n(.*?)```", readme(), flags=re.DOTALL))
    marked = {
        (number, code)
        for number, line in enumerate(example.splitlines(), start=1)
        for code in re.findall(r"#\s*(TPC\d{3})\b", line)
    }
    assert marked
    assert {(f.line, f.code) for f in analyze(example).findings} == marked
