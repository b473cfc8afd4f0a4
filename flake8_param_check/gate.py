"""Which Module classes are worth a libcst parse: a cheap look at flake8's ``ast``.

Parsing with libcst costs several times Python's own parser, so the analysis parses only classes
that *could* hold a finding.  A class passes when one of its ``self.<attr> = value`` statements has
a value that is not plainly harmless: harmless are constants, calls of capitalised names (module
and config constructors, other than the tensor and Parameter classes), names that are unannotated
arguments, attribute chains of those or of globals (``torch.float32``, ``config.hidden_size``), and
arithmetic on harmless values.  ``self.<attr>`` reads count as harmless unless the class shows
some sign of holding tensors (a registration call, a Parameter, or a project base class).

The gate errs on the side of parsing: it may let through a class with no finding, never the
reverse for the rules as written.  Tests check it against every rule example.
"""

from __future__ import annotations

import ast

from .index import ClassInfo

#: Capitalised callables that make plain tensors (a bare ``nn.Parameter(...)`` is harmless).
_TENSOR_CLASS_NAMES = frozenset(
    "Variable Tensor FloatTensor DoubleTensor HalfTensor BFloat16Tensor ByteTensor CharTensor ShortTensor "
    "IntTensor LongTensor BoolTensor".split()
)


def worth_parsing(info: ClassInfo, lines: list[str], evidence: bool, known: frozenset[str]) -> bool:
    """Could ``info`` hold a finding?  ``evidence``: ``self.<attr>`` may already hold a tensor
    (see ``FileContext.holds_tensor_state``).  ``known`` holds the names the file imports or
    defines: a call of any other lowercase name is a builtin, never a tensor to inference."""
    init_scope = _init_scope(info)
    for name, function in info.methods.items():
        node = function.node
        args = node.args
        params = [*args.posonlyargs, *args.args]
        if not params:
            continue
        self_name = params[0].arg
        tensor_args = {
            a.arg for a in [*params[1:], *args.kwonlyargs] if a.annotation is not None and _mentions_tensor(a.annotation)
        }
        judge = _Judge(self_name, _stored_names(node) | tensor_args, known, evidence)
        in_init = name in init_scope
        for target, value in _self_assignments(node, self_name):
            if in_init:
                if not judge.harmless(value):
                    return True
            elif _trainable_hint(value):
                return True
        if not in_init and "requires_grad" in "".join(lines[function.span.start - 1 : function.span.end]):
            return True
    return False


def _init_scope(info: ClassInfo) -> set[str]:
    """``__init__`` and the methods it calls on ``self``, transitively (by name)."""
    scope: set[str] = set()
    pending = ["__init__"]
    while pending:
        name = pending.pop()
        if name in scope:
            continue
        scope.add(name)
        function = info.methods.get(name)
        if function is None:
            continue
        for node in ast.walk(function.node):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.attr in info.methods
            ):
                pending.append(node.func.attr)
    if "__init__" not in info.methods:
        # An inherited __init__ may call methods defined here: treat every method as init scope.
        scope.update(info.methods)
    return scope


def _stored_names(function: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(function) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}


def _mentions_tensor(annotation: ast.expr) -> bool:
    for node in ast.walk(annotation):
        if isinstance(node, ast.Name) and ("Tensor" in node.id or "Parameter" in node.id or "Module" in node.id):
            return True
        if isinstance(node, ast.Attribute) and ("Tensor" in node.attr or "Parameter" in node.attr or "Module" in node.attr):
            return True
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and (
            "Tensor" in node.value or "Parameter" in node.value or "Module" in node.value
        ):
            return True
    return False


def _self_assignments(function: ast.AST, self_name: str):
    for node in ast.walk(function):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                yield from _pairs(target, node.value, self_name)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            yield from _pairs(node.target, node.value, self_name)


def _pairs(target: ast.expr, value: ast.expr, self_name: str):
    if isinstance(target, (ast.Tuple, ast.List)):
        if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts):
            for sub_target, sub_value in zip(target.elts, value.elts):
                yield from _pairs(sub_target, sub_value, self_name)
        else:
            for sub_target in target.elts:
                yield from _pairs(sub_target, value, self_name)
    elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == self_name:
        yield target, value


def _trainable_hint(value: ast.expr) -> bool:
    """Could ``value`` be a trainable raw tensor or a converted Parameter (TPC002, TPC005)?"""
    for node in ast.walk(value):
        if isinstance(node, ast.keyword) and node.arg == "requires_grad":
            return True
        if isinstance(node, ast.Attribute) and node.attr in ("requires_grad_", "Parameter", "Variable"):
            return True
        if isinstance(node, ast.Name) and node.id in ("Parameter", "Variable"):
            return True
    return False


class _Judge:
    def __init__(self, self_name: str, local: set[str], known: frozenset[str], evidence: bool) -> None:
        self.self_name = self_name
        self.local = local  #: names that may hold a tensor here: assigned locals, Tensor arguments
        self.known = known
        self.evidence = evidence

    def harmless(self, node: ast.expr) -> bool:
        if isinstance(node, (ast.Constant, ast.JoinedStr, ast.Lambda)):
            return True
        if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)):
            return self.harmless_chain(node)
        if isinstance(node, ast.Call):
            name = _callee_name(node.func)
            if name is None:
                return False
            if name[:1].isupper():
                return name not in _TENSOR_CLASS_NAMES
            return isinstance(node.func, ast.Name) and node.func.id not in self.known and node.func.id not in self.local
        if isinstance(node, ast.BinOp):
            return self.harmless(node.left) and self.harmless(node.right)
        if isinstance(node, ast.UnaryOp):
            return self.harmless(node.operand)
        if isinstance(node, ast.BoolOp):
            return all(self.harmless(v) for v in node.values)
        if isinstance(node, ast.Compare):
            return self.harmless(node.left) and all(self.harmless(c) for c in node.comparators)
        if isinstance(node, ast.IfExp):
            return self.harmless(node.body) and self.harmless(node.orelse)
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return bool(node.elts) and all(
                not isinstance(e, ast.Starred) and self.harmless(e) for e in node.elts
            )
        if isinstance(node, ast.Dict):
            return bool(node.keys) and all(k is not None and self.harmless(v) for k, v in zip(node.keys, node.values))
        return False

    def harmless_chain(self, node: ast.expr) -> bool:
        """``a.b[c].d``: harmless when rooted at an unannotated argument or a global name, or at
        ``self`` in a class without tensor evidence."""
        while isinstance(node, (ast.Attribute, ast.Subscript)):
            if isinstance(node, ast.Attribute) and node.attr in ("T", "mT", "H", "data"):
                return False
            node = node.value
        if not isinstance(node, ast.Name):
            return False
        if node.id == self.self_name:
            return not self.evidence
        return node.id not in self.local


def _callee_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None
