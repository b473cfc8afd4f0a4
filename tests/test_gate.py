"""The gate (flake8_param_check/gate.py) only skips work: it never changes a finding.

Every rule example, and generated Module classes, are analysed with the gate and without it
(every Module class parsed with libcst); the findings must be the same.  scripts/gate_check.py
does the same over real trees.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from examples import INVALID, VALID
from flake8_param_check.analysis import analyze
from flake8_param_check.settings import Settings
from test_properties import messy_module_file, module_file

import pytest

UNGATED = Settings(gate=False)

EXTRA = [
    # A Parameter read back through self, an accumulator filled with modules by a local alias,
    # a helper's return value, a tensor annotation, a container filled in a called method.
    """import torch
from torch import nn

def table(n):
    out = torch.arange(n)
    return out.float()

class M(nn.Module):
    def __init__(self, x: torch.Tensor, n):
        super().__init__()
        self.w = nn.Parameter(torch.ones(2))
        self.v = self.w * 2
        layers = []
        self.layers = layers
        layers.append(nn.Linear(2, 2))
        self.t = table(n)
        self.x = x
        self.heads = {}
        self._fill()

    def _fill(self):
        self.heads["a"] = nn.Linear(1, 1)
""",
    # Unpacking a call, a tensor's methods that give no tensor, copies of arguments.
    """import copy
from copy import deepcopy

import torch
from torch import nn

def pair():
    return torch.zeros(1), nn.Linear(1, 1)

class M(nn.Module):
    def __init__(self, layer, t: torch.Tensor):
        super().__init__()
        self.w = nn.Parameter(torch.ones(2))
        self.a, self.b = pair()
        x, y = torch.zeros(1), torch.ones(1)
        self.x = x
        self.n = self.w.numel() * self.w.size(0)
        self.h = self.w.half()
        self.d = self.w.detach()
        self.c = deepcopy(t)
        self.m = copy.copy(layer)
        self.ms = [deepcopy(nn.Linear(1, 1))]
        self.names = [self.w.size().index(n) for n in range(2)]
""",
]

EXTRA += [
    # TPC007: one object repeated through a helper, a method, an attribute of self, list().
    """import itertools

import torch
from torch import nn

def stack(d, n):
    layers = [nn.Linear(d, d)] * n
    return nn.Sequential(*layers)

class M(nn.Module):
    def __init__(self, d, n):
        super().__init__()
        self.a = stack(d, n)
        self.b = self._heads(d, n)
        self.block = nn.Linear(d, d)
        self.c = nn.ModuleList([self.block for _ in range(n)])
        self.d = nn.ModuleList(list(itertools.repeat(nn.Linear(d, d), n)))
        self.e = nn.ModuleList([nn.ReLU()] * n)

    def _heads(self, d, n):
        return nn.ModuleList(n * [nn.Linear(d, 1)])
""",
    # TPC008: in a method forward calls, under a guard, a class of the project, a Parameter.
    """import torch
from torch import nn

class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 2)

class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.cache = None

    def forward(self, x, flag):
        if self.cache is None:
            self.cache = nn.Linear(2, 2)
        else:
            x = self.helper(x)
        x = nn.InstanceNorm1d(2)(x) + nn.LayerNorm(2, elementwise_affine=flag)(x)
        x = nn.InstanceNorm1d(2, affine=True)(x)
        return Block()(x) + nn.Softmax(dim=1)(x)

    def helper(self, x):
        return x * nn.Parameter(torch.ones(2))
""",
    # TPC009: a Module's buffer and argument, functions and methods of other classes.
    """import torch
from torch import nn

def f(x: torch.Tensor, y):
    x.cuda()
    y.cuda()
    torch.ones(2).double()

class Helper:
    def run(self, t: torch.Tensor):
        t.half()
        self.t.half()

class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("b", torch.ones(2))

    def forward(self, x: torch.Tensor, model: nn.Module):
        self.b.cpu()
        x.detach()
        model.cpu()
        return x
""",
]

#: Classes the gate stops: whatever inference makes of them, no rule can report anything.
STOPPED = """import copy
from copy import deepcopy

import torch
from torch import nn

def pair():
    return torch.zeros(1), nn.Linear(1, 1)

class M(nn.Conv2d):
    def __init__(self, model, names):
        super().__init__(1, 1, 1)
        self.a, self.b = model.pair()  # (a project helper's tuple is unpacked: not here)
        self.n = self.weight[0].numel() ** -0.5
        self.shape = self.weight.size()
        self.ema = deepcopy(model)
        self.copied = copy.copy(names)
        self.ends = [self.names.index(n) for n in names]
        self.pool = self.head.feat_mult()
        self.cache = {}

    def forward(self, x):
        self.cache["k"] = self.weight[:, 0]
        return x
"""


def both(source: str) -> tuple[list, list]:
    gated = [(f.line, f.col, f.code) for f in analyze(source).findings]
    full = [(f.line, f.col, f.code) for f in analyze(source, settings=UNGATED).findings]
    return gated, full


@pytest.mark.parametrize("source", [e.source for e in VALID + INVALID] + EXTRA)
def test_gate_changes_no_finding_on_examples(source: str) -> None:
    gated, full = both(source)
    assert gated == full


def test_extra_examples_of_the_new_rules_are_reported() -> None:
    found = [[(f.line, f.code) for f in analyze(source).findings] for source in EXTRA[2:]]
    assert found[0] == [(13, "TPC007"), (14, "TPC007"), (16, "TPC007"), (17, "TPC007")]
    assert found[1] == [(20, "TPC008"), (21, "TPC008"), (24, "TPC008")]
    assert found[2] == [(5, "TPC009"), (7, "TPC009"), (11, "TPC009"), (20, "TPC009"), (21, "TPC009")]


STOPPED_FORWARD = """import torch
from torch import nn

class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 2)

    def forward(self, x, model):
        x = nn.ReLU()(self.lin(x))
        model.cuda()
        x.cuda()
        return nn.functional.dropout(x, 0.1, self.training)
"""


def test_gate_stops_forward_without_a_stateful_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    from flake8_param_check import session as context

    parsed: list[str] = []
    real = context.parse_segment
    monkeypatch.setattr(context, "parse_segment", lambda text: parsed.append(text) or real(text))
    assert analyze(STOPPED_FORWARD).findings == []
    assert parsed == []
    assert analyze(STOPPED_FORWARD, settings=UNGATED).findings == []


def test_extra_example_is_reported() -> None:
    codes = sorted(code for _, _, code in both(EXTRA[0])[0])
    assert codes == ["TPC001", "TPC001", "TPC001", "TPC003", "TPC003"]


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(module_file())
def test_gate_changes_no_finding_on_generated_modules(case) -> None:  # type: ignore[no-untyped-def]
    gated, full = both(case[0])
    assert gated == full


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(messy_module_file())
def test_gate_changes_no_finding_on_messy_modules(source: str) -> None:
    gated, full = both(source)
    assert gated == full


def test_extra_examples_hold_findings() -> None:
    result = analyze(EXTRA[1])
    found = {(f.line, f.code) for f in result.findings}
    assert {(16, "TPC001"), (18, "TPC005"), (19, "TPC001"), (20, "TPC001"), (22, "TPC003")} <= found
    assert not {line for line, _ in found} & {17, 21, 23}
    # ``self.a, self.b = pair()``: the helper's tuple is unpacked; its tensor is reported.
    assert [f.attr for f in result.findings if f.line == 14] == ["a"]


def test_gate_stops_what_inference_cannot_report(monkeypatch: pytest.MonkeyPatch) -> None:
    from flake8_param_check import session as context

    parsed: list[str] = []
    real = context.parse_segment
    monkeypatch.setattr(context, "parse_segment", lambda text: parsed.append(text) or real(text))
    assert analyze(STOPPED).findings == []
    assert parsed == []  # the gate let nothing through to libcst
    assert analyze(STOPPED, settings=UNGATED).findings == []
    assert parsed  # and without it, the class is parsed and still gives nothing
