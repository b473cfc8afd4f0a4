"""Which Module classes are worth a libcst parse: a cheap look at flake8's ``ast``.

Parsing with libcst costs several times Python's own parser, so the analysis parses only classes
that *could* hold a finding.  The outline (:mod:`.index`) already lists, for each method, its
``self.<attr> = value`` statements and what each local name is assigned.  A class passes when one
of those values may be, by the rules of :mod:`.inference`, a tensor or a container:

- a call may give a tensor when it names torch, ``copy``, a function or class of this file or of
  the project, or is a method call on something that may be a tensor; a capitalised constructor
  (a layer, a config) only matters inside a container, where a Module is what TPC003 is about;
- an attribute only stays a tensor through ``.T``/``.data``-like properties, so ``config.x`` and
  ``self.conv.weight`` are harmless; ``self.x`` may be a tensor when ``x`` is assigned one, is
  registered by name, or a base class may hold tensor state;
- a local name is as harmful as the values assigned to it; an argument when annotated ``Tensor``.

The gate errs on the side of parsing: what it lets through may hold no finding; what it stops
cannot hold one for the rules as written.  The rule examples test it (every INVALID example must
pass the gate).
"""

from __future__ import annotations

import ast
from typing import Callable

from .index import ClassInfo, FunctionInfo

#: Capitalised callables that make plain tensors (a bare ``nn.Parameter(...)`` is no finding).
_TENSOR_CLASS_NAMES = frozenset(
    "Variable Tensor FloatTensor DoubleTensor HalfTensor BFloat16Tensor ByteTensor CharTensor ShortTensor "
    "IntTensor LongTensor BoolTensor".split()
)
#: Words in an annotation that make an argument a possible tensor or module.
_TENSOR_WORDS = ("Tensor", "Parameter", "Module")
#: Properties that turn a tensor into another one.
_TENSOR_PROPERTIES = frozenset({"T", "mT", "H", "mH", "data", "real", "imag"})
_IN_PROGRESS = object()


def worth_parsing(info: ClassInfo, text: str, inherited: bool, may_give_tensor: Callable[[str], bool]) -> bool:
    """Could ``info`` hold a finding?

    ``text``: the class's source; ``inherited``: a base class may hold tensor state of its own;
    ``may_give_tensor(dotted)``: whether calling the imported or file-level name ``dotted`` may give
    a tensor or a Module (see :meth:`.context.FileContext.may_give_tensor`).
    """
    gate = _Gate(info, text, inherited, may_give_tensor)
    return any(
        not gate.harmless(value, function, strict=False)
        for function in info.methods.values()
        for _, value in function.self_assigns
    )


class _Gate:
    def __init__(self, info: ClassInfo, text: str, inherited: bool, may_give_tensor: Callable[[str], bool]) -> None:
        self.info = info
        self.text = text
        self.inherited = inherited
        self.may_give_tensor = may_give_tensor
        self.attr_memo: dict[str, object] = {}
        self.local_memo: dict[tuple[int, str, bool], object] = {}
        self.tensor_args: dict[int, set[str]] = {}

    # --- names -----------------------------------------------------------------------------

    def harmless_self(self, attr: str) -> bool:
        """``self.<attr>``: harmless unless assigned something harmful, registered by name, or
        possibly set by a base class."""
        if self.inherited:
            return False
        cached = self.attr_memo.get(attr)
        if cached is _IN_PROGRESS:
            return True
        if cached is not None:
            return bool(cached)
        self.attr_memo[attr] = _IN_PROGRESS
        result = f"'{attr}'" not in self.text and f'"{attr}"' not in self.text
        if result:
            for function in self.info.methods.values():
                for target, value in function.self_assigns:
                    # Read back, a Parameter or a layer is a value too: judge as inside a container.
                    if target.attr == attr and not self.harmless(value, function, strict=True):
                        result = False
                        break
                if not result:
                    break
        self.attr_memo[attr] = result
        return result

    def harmless_local(self, name: str, function: FunctionInfo, strict: bool) -> bool:
        if name in self.arguments(function):
            return False
        values = function.local_values.get(name)
        if values is None:
            return True  # a global or an unannotated argument: inference does not know it
        key = (id(function), name, strict)
        cached = self.local_memo.get(key)
        if cached is _IN_PROGRESS:
            return True
        if cached is not None:
            return bool(cached)
        self.local_memo[key] = _IN_PROGRESS
        result = all(v is None or self.harmless(v, function, strict) for v in values)
        self.local_memo[key] = result
        return result

    def arguments(self, function: FunctionInfo) -> set[str]:
        """The arguments annotated as tensors, Parameters or Modules."""
        found = self.tensor_args.get(id(function))
        if found is None:
            args = function.node.args
            found = {
                a.arg
                for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]
                if a.annotation is not None and _mentions_tensor(a.annotation)
            }
            self.tensor_args[id(function)] = found
        return found

    # --- expressions -----------------------------------------------------------------------

    def harmless(self, node: ast.expr, function: FunctionInfo, strict: bool) -> bool:
        """``strict``: a Parameter or a Module counts too (``node`` is a container element, an
        operand, or the receiver of a method); else only what a rule reports on its own does."""
        if isinstance(node, (ast.Constant, ast.JoinedStr, ast.Lambda)):
            return True
        if isinstance(node, ast.Name):
            return self.harmless_local(node.id, function, strict)
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id == function.self_name:
                return self.harmless_self(node.attr)
            if node.attr not in _TENSOR_PROPERTIES:
                return True  # inference knows no other attribute of anything
            return self.harmless(node.value, function, True)
        if isinstance(node, ast.Subscript):
            return self.harmless(node.value, function, True)
        if isinstance(node, ast.Call):
            return self.harmless_call(node, function, strict)
        if isinstance(node, ast.BinOp):
            return self.harmless(node.left, function, True) and self.harmless(node.right, function, True)
        if isinstance(node, ast.UnaryOp):
            return self.harmless(node.operand, function, True)
        if isinstance(node, ast.BoolOp):
            return True  # inference does not follow ``a or b``
        if isinstance(node, ast.Compare):
            return self.harmless(node.left, function, True) and all(
                self.harmless(c, function, True) for c in node.comparators
            )
        if isinstance(node, ast.IfExp):
            return self.harmless(node.body, function, strict) and self.harmless(node.orelse, function, strict)
        if isinstance(node, (ast.Tuple, ast.List)):
            if not node.elts:
                return isinstance(node, ast.Tuple)  # an empty list may be filled later
            return all(not isinstance(e, ast.Starred) and self.harmless(e, function, True) for e in node.elts)
        if isinstance(node, ast.Dict):
            return bool(node.keys) and all(
                k is not None and self.harmless(v, function, True) for k, v in zip(node.keys, node.values)
            )
        if isinstance(node, (ast.ListComp, ast.DictComp)):
            element = node.elt if isinstance(node, ast.ListComp) else node.value
            return self.harmless(element, function, True)
        if isinstance(node, (ast.Set, ast.SetComp, ast.GeneratorExp, ast.Await)):
            return True  # inference gives nothing for these
        if isinstance(node, ast.NamedExpr):
            return self.harmless(node.value, function, strict)
        return False

    def harmless_call(self, node: ast.Call, function: FunctionInfo, strict: bool) -> bool:
        func = node.func
        name = _dotted(func)
        if name is not None:
            root = name.partition(".")[0]
            if root == function.self_name:
                return False  # self.method(...): may return anything
            if root not in function.local_values and root not in self.arguments(function):
                if name.rpartition(".")[2][:1].isupper() and name.rpartition(".")[2] not in _TENSOR_CLASS_NAMES:
                    return not strict or not self.may_give_tensor(name)
                return not self.may_give_tensor(name)
        if isinstance(func, ast.Attribute):
            # A method of some value: a tensor only when the value is a tensor or a Parameter
            # (``p.half()``), a Module only when it is one (``layer.to(dev)``).
            return self.harmless(func.value, function, True)
        return True  # ``table[k](...)``, ``f()(...)``: inference does not follow these


def _dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _mentions_tensor(annotation: ast.expr) -> bool:
    text = annotation.id if isinstance(annotation, ast.Name) else ast.dump(annotation)
    return any(word in text for word in _TENSOR_WORDS)
