"""The gate and the inference read one effects table: every entry, through both, must agree.

For each entry of :mod:`flake8_param_check.effects` (every tensor function and class, Parameter and
buffer class, copy and init function, Module base, every tensor and Module method on every kind of
receiver, every tensor property and operator) an expression is stored on ``self`` in a Module's
``__init__``.  The inference gives its kind; the gate judges the same ``ast`` expression in each
:class:`~flake8_param_check.gate.Mode`.  Wherever the inference gives a kind a mode cares about,
the gate must let the expression through (else it would drop a finding); for calls, properties
and operators, whose effect does not depend on the receiver, the two must agree exactly; and a
method that gives nothing on any receiver must be stopped by the gate.
"""

from __future__ import annotations

import ast
from typing import Optional

import pytest

from flake8_param_check import effects
from flake8_param_check import torch_names as tn
from flake8_param_check.analysis import file_symbols
from flake8_param_check.gate import Gate, Mode
from flake8_param_check.session import Session
from flake8_param_check.settings import DEFAULT
from flake8_param_check.values import TENSOR_LIKE, Kind, Val

HEADER = "import copy\nimport itertools\nimport torch\nimport torch.autograd\nimport transformers\n" \
    "import torchmetrics\n" \
    "import pytorch_lightning\nimport lightning\nimport torch_geometric\nfrom torch import nn\n\n"

#: A local of each kind, as the examples write it.
MAKERS = {
    Kind.TENSOR: "torch.zeros(3)",
    Kind.PARAMETER: "nn.Parameter(torch.zeros(3))",
    Kind.BUFFER: "nn.Buffer(torch.zeros(3))",
    Kind.MODULE: "nn.Linear(2, 2)",
    Kind.DISTRIBUTION: "torch.distributions.Normal(0.0, 1.0)",
    "list": "[]",
    "dict": "{}",
}

Verdict = tuple[Optional[Val], dict[Mode, bool]]


def judge(lines: list[tuple[str, str]]) -> list[Verdict]:
    """For each (setup line, expression): the inferred kind and, per mode, whether the gate lets
    the expression through."""
    body = "".join(f"        {setup}\n        self.v{i} = {expr}\n" for i, (setup, expr) in enumerate(lines))
    source = HEADER + "class M(nn.Module):\n    def __init__(self, x):\n        super().__init__()\n" + body
    tree = ast.parse(source)
    symbols = file_symbols(source, None, DEFAULT, tree, True)
    session = Session(symbols)
    info = symbols.index.classes[0]
    summary = session.class_summary(info)
    assert summary is not None
    init = info.methods["__init__"]
    values = {target.attr: value for target, value in init.self_assigns}
    gate = Gate(symbols, info, lambda: False)
    found = {b.attr: b.value for b in summary.bindings}
    verdicts = []
    for i in range(len(lines)):
        attr = f"v{i}"
        verdicts.append((found[attr], {mode: not gate.harmless(values[attr], init, mode) for mode in Mode}))
    session.close()
    return verdicts


def matters(value: Optional[Val], mode: Mode) -> bool:
    """Whether the inferred value matters in ``mode``: its kind does, and a container holds a
    tensor or a Module (an empty or unknown container holds nothing a rule reports)."""
    if value is None or value.kind not in mode.cares:
        return False
    if value.kind is Kind.CONTAINER:
        return any(leaf.kind in TENSOR_LIKE or leaf.kind is Kind.MODULE for leaf in value.leaves())
    return True


def _call_entries() -> list[str]:
    names = (
        tn.TENSOR_FUNCTIONS | tn.TENSOR_CLASSES | tn.VARIABLE_CLASSES | tn.PARAMETER_CLASSES
        | tn.BUFFER_CLASSES | tn.COPY_FUNCTIONS | tn.MODULE_BASES | tn.DISTRIBUTION_CLASSES
        | tn.TENSOR_TUPLE_FUNCTIONS | tn.DIM_TUPLE_FUNCTIONS | tn.PARTIAL_FUNCTIONS
        | {"torch.nn.init.zeros_", "torch.nn.init.normal_", "torch.nn.Linear",
           "torch.nn.modules.conv._ConvNd"}
    )
    return sorted(names)


CALLS = _call_entries()


def test_every_call_entry_has_an_effect() -> None:
    missing = [name for name in CALLS if effects.call(name) is None]
    assert missing == []


@pytest.mark.parametrize("argument", ["x", "torch.ones(2)", "nn.Parameter(torch.ones(2))", "nn.Linear(1, 1)"])
def test_calls_agree_exactly(argument: str) -> None:
    """A call's effect does not depend on a receiver: the gate's verdict is the inference's."""
    verdicts = judge([("pass", f"{name}({argument})") for name in CALLS])
    disagree = [
        (name, kind, mode.name)
        for name, (kind, gate) in zip(CALLS, verdicts)
        for mode in Mode
        if gate[mode] != matters(kind, mode)
    ]
    assert disagree == []


@pytest.mark.parametrize("argument", ["x", "nn.Linear(1, 1)"])
def test_repeat_with_a_count_agrees_exactly(argument: str) -> None:
    """``itertools.repeat(x, n)`` is a list of one object; without a count it is unknown (the
    gate lets both through)."""
    names = sorted(tn.REPEAT_FUNCTIONS)
    verdicts = judge([("pass", f"{name}({argument}, 3)") for name in names]
                     + [("pass", f"{name}({argument})") for name in names])
    for (kind, gate) in verdicts[:len(names)]:
        assert kind is not None and kind.kind is Kind.CONTAINER and kind.repeated
        assert all(gate[mode] == (mode in (Mode.TOP, Mode.ITEMS, Mode.ANY)) for mode in Mode)
    assert all(kind is None for kind, _ in verdicts[len(names):])


@pytest.mark.parametrize("receiver", list(MAKERS), ids=str)
def test_discarded_conversions_the_gate_never_stops(receiver: object) -> None:
    """For each receiver kind and each method a statement may drop the result of, the gate's
    ``discards_tensor`` says yes wherever the inference records a dropped conversion, and no
    for receivers that are not tensors."""
    methods = sorted(tn.DISCARDABLE_METHODS | {"zero_", "requires_grad_", "numel"})
    body = "".join(f"        r{i} = {MAKERS[receiver]}\n        r{i}.{m}(x)\n" for i, m in enumerate(methods))
    source = HEADER + "class M(nn.Module):\n    def __init__(self, x):\n        super().__init__()\n" + body
    symbols = file_symbols(source, None, DEFAULT, ast.parse(source), True)
    session = Session(symbols)
    info = symbols.index.classes[0]
    summary = session.class_summary(info)
    assert summary is not None
    dropped = {fact.conversion for fact in summary.discarded}
    init = info.methods["__init__"]
    gate = Gate(symbols, info, lambda: False)
    attrs = [c.func.attr for c in init.discards]
    for method in methods:
        call = init.discards[attrs.index(method)] if method in tn.DISCARDABLE_METHODS else None
        may = call is not None and not gate.harmless(call.func.value, init, Mode.TENSORISH)
        assert (method in dropped) <= may, method
        assert may == (receiver in TENSOR_LIKE and method in tn.DISCARDABLE_METHODS), method
        assert (method in dropped) == (receiver in TENSOR_LIKE and method in tn.DISCARDABLE_METHODS), method
    session.close()


def _method_names() -> list[str]:
    extra = {"numel", "size", "item", "tolist", "dim", "append", "extend", "insert", "update", "setdefault",
             "keys", "register_hook", "parameters"}
    return sorted(tn.TENSOR_METHODS | tn.MODULE_SELF_METHODS | tn.DISTRIBUTION_TENSOR_METHODS
                  | tn.TENSOR_TUPLE_METHODS | tn.DIM_TUPLE_METHODS | extra)


METHODS = _method_names()


@pytest.mark.parametrize("receiver", list(MAKERS), ids=str)
@pytest.mark.parametrize("args", ["", "x"])
def test_methods_the_gate_never_stops_what_inference_gives(receiver: object, args: str) -> None:
    lines = [(f"r{i} = {MAKERS[receiver]}", f"r{i}.{method}({args})") for i, method in enumerate(METHODS)]
    verdicts = judge(lines)
    dropped = [
        (method, kind, mode.name)
        for method, (kind, gate) in zip(METHODS, verdicts)
        for mode in Mode
        if matters(kind, mode) and not gate[mode]
    ]
    assert dropped == []
    # A method that gives nothing on any receiver is stopped in every mode.
    for method, (_, gate) in zip(METHODS, verdicts):
        if all(effects.method_kind(kind, method, bool(args)) is None for kind in Kind):
            assert not any(gate.values()), method


@pytest.mark.parametrize("receiver", list(MAKERS), ids=str)
def test_properties_and_operators_agree_exactly(receiver: object) -> None:
    names = tn.TENSOR_PROPERTIES | tn.DISTRIBUTION_TENSOR_PROPERTIES | {"shape", "device", "weight"}
    expressions = [f"r{{i}}.{name}" for name in sorted(names)]
    expressions += ["r{i} + x", "x * r{i}", "-r{i}", "r{i} < x", "r{i}[0]", "r{i} @ r{i}"]
    lines = [(f"r{i} = {MAKERS[receiver]}", expr.format(i=i)) for i, expr in enumerate(expressions)]
    # A name that is a property of one kind and not of another (``d.mean`` of a distribution,
    # ``t.mean`` a tensor's method) is judged for every receiver the name may have.
    shared = tn.TENSOR_PROPERTIES & tn.DISTRIBUTION_TENSOR_PROPERTIES | (
        tn.DISTRIBUTION_TENSOR_PROPERTIES if receiver is not Kind.DISTRIBUTION else frozenset()
    ) | (tn.TENSOR_PROPERTIES if receiver not in TENSOR_LIKE else frozenset())
    for expr, (kind, gate) in zip(expressions, judge(lines)):
        for mode in Mode:
            if expr.rpartition(".")[2] in shared:
                assert gate[mode] or not matters(kind, mode), (expr, receiver, kind, mode)
            else:
                assert gate[mode] == matters(kind, mode), (expr, receiver, kind, mode)


def test_register_calls_come_from_the_table() -> None:
    for name in tn.REGISTER_METHODS:
        assert effects.registers(name) is not None
    assert effects.registers("register_forward_hook") is None
