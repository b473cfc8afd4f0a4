"""The fixer: every rewrite parses, is stable, cures what it claims and touches nothing else."""

from __future__ import annotations

import ast
import difflib
import textwrap
from collections import Counter

import libcst as cst
import pytest
from examples import INVALID

from flake8_param_check.analysis import analyze
from flake8_param_check.fixer import fix_source
from flake8_param_check.rules import RULES
from flake8_param_check.rules._examples import HEADER
from flake8_param_check.settings import Settings

FIXES = [
    pytest.param(HEADER + before.lstrip("\n"), HEADER + after.lstrip("\n"), id=f"{rule.CODE}-fix-{n}")
    for rule in RULES
    for n, (before, after) in enumerate(getattr(rule, "FIXES", []), start=1)
]


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def keys(findings) -> Counter:
    return Counter((f.code, f.attr) for f in findings)


def check_guarantees(source: str, settings: Settings = Settings(), **kwargs):
    """Fix ``source`` and check every promise of the fixer; the result."""
    result = fix_source(source, settings=settings, **kwargs)
    assert result.error is None
    out = result.source
    ast.parse(out)
    cst.parse_module(out)
    again = fix_source(out, settings=settings, **kwargs)
    assert again.source == out, "a second run changes the file"
    assert not again.fixed
    left = keys(analyze(out, settings=settings).findings)
    assert not (left - keys(result.unfixed) - keys(_rejected(source, settings, **kwargs))), "a finding appeared"
    for code, attr in keys(result.fixed):
        assert (code, attr) not in left or (code, attr) in keys(result.unfixed)
    # Only the lines of fixed statements (and one import) change.
    fixed_lines = {f.line for f in result.fixed} | set(result.rewritten)
    before, after = source.splitlines(keepends=True), out.splitlines(keepends=True)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if tag == "insert":
            inserted = [line.strip() for line in after[j1:j2]]
            assert len(inserted) <= 2 and set(inserted) <= {"from torch import nn", "import torch", "import copy"}
            continue
        assert any(i1 + 1 <= line <= i2 for line in fixed_lines) or _statement_tail(source, i1 + 1, fixed_lines), (
            tag, before[i1:i2], after[j1:j2])
    return result


def _statement_tail(source: str, line: int, fixed_lines: set[int]) -> bool:
    """``line`` belongs to a multi-line statement that starts on a fixed line."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and node.lineno in fixed_lines and node.lineno <= line <= (node.end_lineno or 0):
            return True
    return False


def _rejected(source: str, settings: Settings, select=lambda c: True, keep=lambda line, c: True, **_):
    return [f for f in analyze(source, settings=settings).findings if not (select(f.code) and keep(f.line, f.code))]


# --- the examples --------------------------------------------------------------------------------


def test_every_rule_with_a_planner_has_fix_examples():
    assert all(getattr(rule, "FIXES", None) for rule in RULES if rule.plan_fix is not None)
    assert all(rule.FIXES == [] for rule in RULES if rule.plan_fix is None)


@pytest.mark.parametrize(("before", "after"), FIXES)
def test_fix_examples(before, after):
    result = check_guarantees(before)
    assert result.source == after


@pytest.mark.parametrize("example", INVALID, ids=lambda e: e.id)
def test_invalid_examples(example):
    result = check_guarantees(example.source)
    assert len(result.fixed) + len(result.unfixed) == len(example.expected)


def test_every_rule_with_fixes_fixes_one_of_its_invalid_examples():
    """Some INVALID examples show what is reported and deliberately left (a tuple of plain
    tensors, a tensor made trainable in another method); each rule still fixes one of them."""
    for rule in RULES:
        if not rule.FIXES:
            continue
        examples = [e for e in INVALID if e.id.startswith(rule.CODE + "-")]
        assert any(check_guarantees(e.source).fixed for e in examples), rule.CODE


# --- styles and names ---------------------------------------------------------------------------

BUFFER = src(
    """
    import torch
    from torch import nn

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.x = torch.zeros(3)
    """
)


def test_buffer_style_register_buffer():
    result = check_guarantees(BUFFER)
    assert '        self.register_buffer("x", torch.zeros(3), persistent=False)\n' in result.source


def test_buffer_style_nn_buffer():
    result = check_guarantees(BUFFER, Settings(buffer_style="nn.Buffer"))
    assert "        self.x = nn.Buffer(torch.zeros(3), persistent=False)\n" in result.source


@pytest.mark.parametrize(
    ("imports", "expected"),
    [
        ("import torch\nimport torch.nn as tnn\n", "tnn.ModuleList"),
        ("import torch as th\n", "th.nn.ModuleList"),
        ("import torch\n", "torch.nn.ModuleList"),
        ("import torch\nfrom torch import nn as N\n", "N.ModuleList"),
    ],
)
def test_existing_name_for_nn(imports, expected):
    source = imports + src(
        """
        from torch.nn import Module, Linear

        class M(Module):
            def __init__(self):
                super().__init__()
                self.layers = [Linear(1, 1), Linear(1, 1)]
        """
    )
    result = check_guarantees(source)
    assert f"self.layers = {expected}([Linear(1, 1), Linear(1, 1)])" in result.source
    assert len(result.source.splitlines()) == len(source.splitlines())


def test_import_inserted_after_last_import():
    source = src(
        '''
        """Doc."""
        from __future__ import annotations

        import os
        from torch.nn import Module, Linear


        class M(Module):
            def __init__(self):
                super().__init__()
                self.layers = [Linear(1, 1)]
        '''
    )
    result = check_guarantees(source)
    lines = result.source.splitlines()
    assert lines[4:6] == ["from torch.nn import Module, Linear", "from torch import nn"]
    assert "self.layers = nn.ModuleList([Linear(1, 1)])" in result.source


def test_import_of_torch_when_nn_is_taken():
    source = src(
        """
        from torch.nn import Module, Linear

        def nn():
            pass

        class M(Module):
            def __init__(self):
                super().__init__()
                self.layers = [Linear(1, 1)]
        """
    )
    result = check_guarantees(source)
    assert result.source.splitlines()[1] == "import torch"
    assert "torch.nn.ModuleList([Linear(1, 1)])" in result.source


def test_shadowed_alias_is_not_used():
    source = src(
        """
        import torch
        from torch import nn
        from torch.nn import Module, Linear

        class M(Module):
            def __init__(self, nn):
                super().__init__()
                self.layers = [Linear(1, 1)]
        """
    )
    result = check_guarantees(source)
    assert "self.layers = torch.nn.ModuleList([Linear(1, 1)])" in result.source
    both = source.replace("(self, nn)", "(self, nn, torch)")
    result = fix_source(both)
    assert result.fixed == [] and len(result.unfixed) == 1  # `nn` and `torch` both taken
    assert result.source == both


def test_import_added_to_file_without_final_newline():
    source = "from torch.nn import Module, Linear\nclass M(Module):\n    def __init__(self):\n" \
             "        super().__init__()\n        self.a = [Linear(1, 1)]"
    source = "class M(Module):\n    def __init__(self):\n        super().__init__()\n" \
             "        self.a = [Linear(1, 1)]\nfrom torch.nn import Module, Linear"
    result = check_guarantees(source)
    assert result.source.endswith("from torch.nn import Module, Linear\nfrom torch import nn")


# --- layout ---------------------------------------------------------------------------------------


def test_crlf_is_kept():
    source = BUFFER.replace("\n", "\r\n")
    result = check_guarantees(source)
    assert '        self.register_buffer("x", torch.zeros(3), persistent=False)\r\n' in result.source
    assert "\n" not in result.source.replace("\r\n", "")


def test_crlf_nested_class_is_kept():
    source = src(
        """
        import torch
        from torch import nn

        def make():
            class M(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.x = torch.zeros(3)  # keep me
            return M
        """
    ).replace("\n", "\r\n")
    result = check_guarantees(source)
    assert '            self.register_buffer("x", torch.zeros(3), persistent=False)  # keep me\r\n' in result.source
    assert "\n" not in result.source.replace("\r\n", "")


def test_nested_classes_both_fixed():
    source = src(
        """
        import torch
        from torch import nn

        class Outer(nn.Module):
            def __init__(self):
                super().__init__()
                self.y = torch.zeros(3)

            class Inner(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.z = [nn.Linear(1, 1)]
                    self.q = torch.zeros(3)

        class After(nn.Module):
            def __init__(self):
                super().__init__()
                self.w = torch.randn(2, requires_grad=True)
        """
    )
    result = check_guarantees(source)
    assert keys(result.fixed) == Counter({("TPC001", "y"): 1, ("TPC003", "z"): 1, ("TPC001", "q"): 1,
                                          ("TPC002", "w"): 1})
    assert "            self.z = nn.ModuleList([nn.Linear(1, 1)])\n" in result.source
    assert '            self.register_buffer("q", torch.zeros(3), persistent=False)\n' in result.source
    assert "        self.w = nn.Parameter(torch.randn(2))\n" in result.source


def test_comments_and_formatting_elsewhere_untouched():
    source = src(
        """
        import torch
        from torch import nn  # torch's nn


        class M(nn.Module):   # odd   spacing
            '''Doc.'''
            def __init__(self,  n):
                super( ).__init__()
                # a comment
                self.a = torch.zeros( n )   # trailing
                self.b=1;self.c = 2
                self.layers = [  # the layers
                    nn.Linear(1, 1),
                    nn.Linear(1, 1),  # second
                ]
        """
    )
    result = check_guarantees(source)
    assert '        self.register_buffer("a", torch.zeros( n ), persistent=False)   # trailing\n' in result.source
    assert "        self.layers = nn.ModuleList([  # the layers\n" in result.source
    assert "            nn.Linear(1, 1),  # second\n        ])\n" in result.source


# --- filters ----------------------------------------------------------------------------------


def test_noqa_lines_are_left_alone():
    source = BUFFER.replace("torch.zeros(3)", "torch.zeros(3)  # noqa: TPC001")
    line = source.splitlines().index("        self.x = torch.zeros(3)  # noqa: TPC001") + 1
    result = check_guarantees(source, keep=lambda number, code: number != line)
    assert result.source == source
    assert result.fixed == [] and result.unfixed == []


def test_select_filters_codes():
    source = BUFFER + "        self.w = torch.ones(1, requires_grad=True)\n"
    result = check_guarantees(source, select=lambda code: code == "TPC002")
    assert keys(result.fixed) == Counter({("TPC002", "w"): 1})
    assert result.unfixed == []
    assert "self.x = torch.zeros(3)" in result.source


# --- left unfixed by design -----------------------------------------------------------------------

UNFIXED = {
    "rebound as a Parameter": """
        self.x = torch.zeros(3)
        if flag:
            self.x = nn.Parameter(torch.ones(3))
    """,
    "tuple target": """
        self.a, self.b = torch.zeros(1), torch.ones(1)
    """,
    "annotated": """
        self.a: torch.Tensor = torch.zeros(1)
    """,
    "semicolon": """
        self.a = torch.zeros(1); n = 1
    """,
    "chained": """
        self.a = b = torch.zeros(1)
    """,
    "before super init": """
        self.layers = [nn.Linear(1, 1)]
        super().__init__()
    """,
    "local used after": """
        layers = []
        self.layers = layers
        layers.append(nn.Linear(1, 1))
    """,
    "unsupported list method": """
        self.layers = [nn.Linear(1, 1), nn.ReLU()]
        self.layers.reverse()
    """,
    "dict with computed keys": """
        self.heads = {str(i): nn.Linear(1, 1) for i in range(3)}
    """,
    "dict key is a Module attribute": """
        self.heads = {"forward": nn.Linear(1, 1)}
    """,
    "mixed container": """
        self.parts = [nn.Linear(1, 1), None]
    """,
    "tensors in a list": """
        self.anchors = [torch.zeros(1), torch.ones(1)]
    """,
    "converted through a local": """
        p = nn.Parameter(torch.ones(2))
        self.h = p.half()
    """,
    "conditional requires_grad": """
        self.z = torch.zeros(2)
        if flag:
            self.z.requires_grad = True
    """,
    "used before requires_grad": """
        self.z = torch.zeros(2)
        self.z.add_(1)
        self.z.requires_grad_()
    """,
    "buffer name taken by Module": """
        self.half = torch.zeros(1)
    """,
}


@pytest.mark.parametrize("body", list(UNFIXED.values()), ids=list(UNFIXED))
def test_left_unfixed(body):
    source = HEADER + "class M(nn.Module):\n    def __init__(self, flag):\n" + textwrap.indent(
        textwrap.dedent(body).strip("\n"), " " * 8) + "\n"
    if "super().__init__()" not in body:
        source = source.replace("(self, flag):\n", "(self, flag):\n        super().__init__()\n")
    found = analyze(source).findings
    assert found, "the case must be reported"
    result = fix_source(source)
    assert result.error is None
    assert result.fixed == []
    assert keys(result.unfixed) == keys(found)
    assert result.source == source


def test_class_attribute_blocks_register_buffer():
    source = src(
        """
        import torch
        from torch import nn

        class M(nn.Module):
            x = None

            def __init__(self):
                super().__init__()
                self.x = torch.zeros(3)
        """
    )
    result = fix_source(source)
    assert result.source == source and len(result.unfixed) == 1


def test_subclass_rebinding_blocks_the_fix():
    source = src(
        """
        import torch
        from torch import nn

        class Base(nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = [nn.Linear(1, 1)]

        class Child(Base):
            def __init__(self):
                super().__init__()
                self.layers = [nn.Linear(1, 1)]
        """
    )
    result = check_guarantees(source)
    # Base's list would meet Child's rebinding; Child's own ModuleList replaces Base's plain list.
    assert keys(result.fixed) == Counter({("TPC003", "layers"): 1})
    assert result.fixed[0].line == 12
    assert result.unfixed[0].line == 7


def test_base_class_plain_attribute_blocks_register_buffer():
    source = src(
        """
        import torch
        from torch import nn

        class Base(nn.Module):
            def __init__(self):
                super().__init__()
                self.x = None

        class Child(Base):
            def __init__(self):
                super().__init__()
                self.x = torch.zeros(3)
        """
    )
    result = fix_source(source)
    assert result.source == source and len(result.unfixed) == 1


# --- failures ------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["def f(:\n", "x = 1\x00\n", ""])
def test_unparsable_or_empty(source):
    result = fix_source(source)
    assert result.source == source
    assert result.fixed == []
    if source:
        assert result.error


def test_no_findings_returns_input():
    source = "import torch\n\nx = torch.zeros(1)\n"
    result = fix_source(source)
    assert result.source is source and not result.changed


def test_code_that_cannot_hold_a_module_is_left_alone_without_error(tmp_path) -> None:
    source = "import os\n\n\nclass A(dict):\n    def __init__(self):\n        self.x = os.sep\n"
    path = tmp_path / "plain.py"
    path.write_text(source)
    for where in (None, str(path)):
        result = fix_source(source, path=where)
        assert (result.source, result.error, result.changed) == (source, None, False)


# --- dispatch through the rules ------------------------------------------------------------------


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.CODE)
def test_a_rule_with_fix_examples_has_a_planner(rule) -> None:
    assert (rule.plan_fix is not None) == bool(rule.FIXES), rule.CODE
    assert rule.plan_fix is None or callable(rule.plan_fix)


def test_the_fixer_asks_the_rule_of_the_finding(monkeypatch) -> None:
    from flake8_param_check.rules import BY_CODE

    source = HEADER + src(
        """
        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.pe = torch.zeros(3)
        """
    )
    assert fix_source(source).fixed
    asked = []
    monkeypatch.setattr(BY_CODE["TPC001"], "plan_fix", lambda site: asked.append(site.attr))
    result = fix_source(source)
    assert asked == ["pe"] and result.source == source and [f.code for f in result.unfixed] == ["TPC001"]
    monkeypatch.setattr(BY_CODE["TPC001"], "plan_fix", None)
    assert [f.code for f in fix_source(source).unfixed] == ["TPC001"]


def test_no_code_is_named_outside_the_rules() -> None:
    """The fixer's driver and toolkit name no code: each rule brings its own planner."""
    import re
    from pathlib import Path

    import flake8_param_check.fixer
    import flake8_param_check.rules._fixkit

    for module in (flake8_param_check.fixer, flake8_param_check.rules._fixkit):
        code = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        strings = [n.value for n in ast.walk(code) if isinstance(n, ast.Constant)]
        named = [s for s in strings if isinstance(s, str) and re.fullmatch(r"TPC\d{3}", s)]
        assert named == [], module.__name__


def test_no_class_or_function_of_the_fixer_or_the_rules_is_over_300_lines() -> None:
    from pathlib import Path

    import flake8_param_check.codes
    import flake8_param_check.fixer
    import flake8_param_check.rules

    package = Path(flake8_param_check.rules.__file__).parent
    files = [*package.glob("*.py")]
    files += [Path(module.__file__) for module in (flake8_param_check.fixer, flake8_param_check.codes)]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                assert node.end_lineno - node.lineno < 300, f"{path.name}: {node.name}"


def test_rebound_tensor_is_registered_at_its_first_binding():
    """``register_buffer`` at a later binding would raise KeyError (the attribute exists): the
    buffer is registered where the attribute is first bound, and later plain tensors update it."""
    source = src(
        """
        import torch
        from torch import nn

        class M(nn.Module):
            def __init__(self, flag):
                super().__init__()
                self.x = torch.zeros(3)
                if flag:
                    self.x = torch.ones(3)
        """
    )
    result = check_guarantees(source)
    assert keys(result.fixed) == Counter({("TPC001", "x"): 2}) and not result.unfixed
    assert 'self.register_buffer("x", torch.zeros(3), persistent=False)' in result.source
    assert "            self.x = torch.ones(3)\n" in result.source


# --- TPC007 and TPC009 -------------------------------------------------------------------------


def test_repeated_variable_gets_a_copy_and_the_import():
    source = src(
        """
        import torch
        from torch import nn

        class M(nn.Module):
            def __init__(self, n):
                super().__init__()
                block = nn.Linear(4, 4)
                self.blocks = nn.ModuleList([block] * n)  # one object
        """
    )
    result = check_guarantees(source)
    assert [f.code for f in result.fixed] == ["TPC007"]
    assert "from torch import nn\nimport copy\n" in result.source
    assert "        self.blocks = nn.ModuleList([copy.deepcopy(block) for _ in range(n)])  # one object\n" \
        in result.source


def test_deepcopy_imported_by_name_is_used():
    source = src(
        """
        from copy import deepcopy as clone
        import torch
        from torch import nn

        class M(nn.Module):
            def __init__(self, n):
                super().__init__()
                block = nn.Linear(4, 4)
                self.blocks = nn.Sequential(*itertools.repeat(block, n))
        """
    ).replace("import torch\n", "import itertools\nimport torch\n")
    result = check_guarantees(source)
    assert "nn.Sequential(*[clone(block) for _ in range(n)])" in result.source
    assert "import copy" not in result.source


def test_copy_name_taken_leaves_the_finding():
    source = src(
        """
        import torch
        from torch import nn

        copy = None

        class M(nn.Module):
            def __init__(self, n):
                super().__init__()
                block = nn.Linear(4, 4)
                self.blocks = nn.ModuleList([block] * n)
        """
    )
    result = check_guarantees(source)
    assert result.source == source and [f.code for f in result.unfixed] == ["TPC007"]


def test_repeated_plain_list_left_when_it_cannot_be_wrapped():
    """``self.layers.reverse()``: ModuleList has no ``reverse``; fixing only the sharing would
    leave a plain list, so the statement is left as it is."""
    source = src(
        """
        import torch
        from torch import nn

        class M(nn.Module):
            def __init__(self, n):
                super().__init__()
                self.layers = [nn.Linear(4, 4)] * n
                self.layers.reverse()
        """
    )
    result = check_guarantees(source)
    assert result.source == source and [f.code for f in result.unfixed] == ["TPC007"]


def test_discarded_conversion_fixes_and_what_it_leaves():
    source = src(
        """
        import torch
        from torch import nn

        def move(xs: torch.Tensor, y: torch.Tensor, dev):
            for x in xs:
                x.to(dev)
            y.to(dev); y.cuda()
            y.double()  # why
            return xs, y

        class M(nn.Module):
            def __init__(self, learn):
                super().__init__()
                self.w = nn.Parameter(torch.ones(2))
                if learn:
                    self.s = nn.Parameter(torch.ones(2))
                else:
                    self.register_buffer("s", torch.ones(2))
                self.register_buffer("b", torch.ones(2))

            def forward(self, x):
                self.w.cuda()
                self.s.cuda()
                self.b.cuda()
                return x
        """
    )
    result = check_guarantees(source)
    assert sorted((f.line, f.code) for f in result.fixed) == [(8, "TPC009"), (24, "TPC009")]
    assert sorted(f.line for f in result.unfixed) == [6, 7, 7, 22, 23]
    assert "        x.to(dev)\n" in result.source  # a loop's variable: the next item drops it
    assert "    y = y.double()  # why\n" in result.source
    assert "        self.b = self.b.cuda()\n" in result.source
    assert "        self.s.cuda()\n" in result.source  # a Parameter on one path
