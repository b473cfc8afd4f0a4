"""The torch tier (opt-in): every rule example's claim, checked against PyTorch itself.

    python -m pytest -m torch tests/test_torch_tier.py        # -rP also prints the summary

Each example's source is run in a fresh namespace and each ``nn.Module`` subclass it defines is
built with plausible arguments: tensors are made on the CPU; an argument named ``dev`` or
``device`` gets ``"meta"`` first (another device than the CPU, as ``.to(dev)`` in a model means
a move) and then ``"cpu"``; a flag ``True`` then ``False``; a tensor annotation a small tensor;
anything else ``4``, then other guesses.  Where CUDA is absent, ``Tensor.cuda()`` and
``Module.cuda()`` stand for a move to the ``meta`` device (a copy on another device, as on a GPU).

Then, on the built instance, each line an INVALID example marks ``# expect: CODE`` is mapped to
its ``self.<attr>`` (in column order when a line marks several) and checked with that code's
claim (:data:`INVALID_CLAIMS`); a finding in a method other than ``__init__`` is checked after
calling that method.  Each VALID example is checked with its rule's claim about what a valid
class does (:data:`VALID_CLAIMS`) over the attributes the class assigns.  The claims:

* TPC001 (and TPC006): an INVALID line leaves a plain tensor in the instance ``__dict__``; a
  VALID class leaves none there;
* TPC002: the tensor requires grad and is not in ``parameters()``; a VALID class leaves no
  trainable tensor outside ``parameters()``;
* TPC003/TPC004: the container holds Modules/tensors that ``modules()``, ``named_parameters()``
  and ``named_buffers()`` miss; a VALID class's containers hold only registered ones;
* TPC005: the value is not a Parameter (and not registered as one); a VALID class leaves no
  plain tensor in ``__dict__``.

Every INVALID finding must be checked (its class built, its attribute found).  A VALID example
that imports a library that is not installed (``pytorch_lightning``) is skipped with the reason.
torch is imported only inside the tests: without it they are skipped, and the default run
(``python -m pytest``, the ``addopts`` of ``setup.cfg``) deselects them.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import inspect
import itertools
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Optional

import pytest

from examples import INVALID, VALID, Example

from flake8_param_check import torch_names as tn

pytestmark = pytest.mark.torch

#: At most this many argument combinations are tried per class.
MAX_ATTEMPTS = 64
#: The share of VALID examples that must be built (the others need a library that is absent).
VALID_BUILT_AT_LEAST = 0.8


@pytest.fixture(scope="module", autouse=True)
def torch_installed() -> Any:
    return pytest.importorskip("torch")


# -- the examples' source, read with ast -----------------------------------------------------------


def _self_attr(node: ast.AST) -> Optional[str]:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return node.attr
    return None


def _flat_targets(node: ast.AST) -> Iterator[ast.AST]:
    if isinstance(node, (ast.Tuple, ast.List)):
        for element in node.elts:
            yield from _flat_targets(element)
    elif isinstance(node, ast.Starred):
        yield from _flat_targets(node.value)
    else:
        yield node


def _targets(statement: ast.AST) -> list[ast.AST]:
    if isinstance(statement, ast.Assign):
        return [t for target in statement.targets for t in _flat_targets(target)]
    if isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
        return [statement.target]
    return []


@dataclass(frozen=True)
class Site:
    """Where a finding is: its class, its method and the ``self.<attr>`` it names."""

    line: int
    code: str
    cls: str
    method: str
    attr: str


class Outline:
    """The classes of an example, the ``self.<attr>`` each assigns, and where each finding is."""

    def __init__(self, example: Example) -> None:
        self.tree = ast.parse(example.source)
        self.classes = [node for node in ast.walk(self.tree) if isinstance(node, ast.ClassDef)]

    def class_at(self, line: int) -> Optional[ast.ClassDef]:
        holding = [c for c in self.classes if c.lineno <= line <= (c.end_lineno or c.lineno)]
        return max(holding, key=lambda c: c.lineno, default=None)

    @staticmethod
    def method_at(cls: ast.ClassDef, line: int) -> Optional[str]:
        for node in cls.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                    and node.lineno <= line <= (node.end_lineno or node.lineno):
                return node.name
        return None

    def self_targets(self, line: int) -> list[str]:
        """The ``self.<attr>`` targets of the statement on ``line``, in column order."""
        found: list[ast.Attribute] = []
        for node in ast.walk(self.tree):
            if getattr(node, "lineno", None) == line:
                found.extend(t for t in _targets(node) if _self_attr(t) is not None)
        return [t.attr for t in sorted(found, key=lambda t: t.col_offset)]

    @staticmethod
    def assigned(cls: ast.ClassDef) -> set[str]:
        """Every ``self.<attr>`` the class's methods assign."""
        return {attr for node in ast.walk(cls) for t in _targets(node) if (attr := _self_attr(t)) is not None}

    def sites(self, example: Example) -> tuple[list[Site], list[str]]:
        """Each expected finding as a :class:`Site`, and the findings that could not be placed."""
        sites, unplaced = [], []
        lines = sorted({line for line, _ in example.expected})
        for line in lines:
            codes = [code for l_, code in example.expected if l_ == line]
            cls = self.class_at(line)
            attrs = self.self_targets(line)
            if cls is None or len(attrs) != len(codes):
                unplaced.append(f"line {line}: {len(codes)} code(s), self targets {attrs}, class {cls}")
                continue
            method = self.method_at(cls, line) or "?"
            sites.extend(Site(line, code, cls.name, method, attr) for code, attr in zip(codes, attrs))
        return sites, unplaced


# -- building ------------------------------------------------------------------------------------


@contextlib.contextmanager
def cuda_stand_in(used: list[str]) -> Iterator[None]:
    """Where CUDA is absent, ``.cuda()`` moves a tensor or a Module to the ``meta`` device."""
    import torch

    if torch.cuda.is_available():
        yield
        return
    tensor_had = "cuda" in vars(torch.Tensor)
    tensor_cuda, module_cuda = torch.Tensor.cuda, torch.nn.Module.cuda

    def to_meta(self: Any, *args: Any, **kwargs: Any) -> Any:
        used.append(f"{type(self).__name__}.cuda")
        return self.to("meta")

    torch.Tensor.cuda = to_meta
    torch.nn.Module.cuda = to_meta
    try:
        yield
    finally:
        if tensor_had:
            torch.Tensor.cuda = tensor_cuda
        else:
            del torch.Tensor.cuda
        torch.nn.Module.cuda = module_cuda


def guesses(parameter: inspect.Parameter, device: str = "meta") -> list[Any]:
    """Values to try for a required argument, the likeliest first; ``device`` first for a device."""
    import torch

    annotation = parameter.annotation
    name = parameter.name.lower()
    if annotation is torch.Tensor or (isinstance(annotation, str) and annotation.endswith("Tensor")):
        return [torch.zeros(4)]
    if name in ("dev", "device") or name.endswith("_device"):
        return [device, "cpu" if device == "meta" else "meta"]
    if annotation is bool or name.startswith(("flag", "use_", "is_", "has_", "with_")):
        return [True, False]
    return [4, 2, True, "cpu", torch.zeros(4)]


def argument_sets(function: Callable[..., Any], device: str = "meta") -> list[dict[str, Any]]:
    """Keyword arguments to call ``function`` with (its ``self`` excluded), at most MAX_ATTEMPTS."""
    required = [
        p for p in list(inspect.signature(function).parameters.values())[1:]
        if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    names = [p.name for p in required]
    combos = itertools.islice(itertools.product(*(guesses(p, device) for p in required)), MAX_ATTEMPTS)
    return [dict(zip(names, values)) for values in combos]


def has_attr(instance: Any, attr: str) -> bool:
    stores = ("_parameters", "_buffers", "_modules")
    return attr in vars(instance) or any(attr in getattr(instance, store) for store in stores)


@dataclass
class Built:
    """What building an example's Module classes gave."""

    example: Example
    outline: Outline
    instances: dict[str, Any] = field(default_factory=dict)
    arguments: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  #: class -> why it could not be built
    calls: list[str] = field(default_factory=list)  #: methods called for findings outside __init__
    stand_ins: list[str] = field(default_factory=list)
    error: Optional[str] = None  #: the example's source could not run (a missing library)


@functools.lru_cache(maxsize=None)
def build(example: Example, device: str = "meta") -> Built:
    """Run the example and build its Module classes; a device argument gets ``device`` first."""
    import torch

    outline = Outline(example)
    built = Built(example, outline)
    module_name = "tpc_tier_" + example.id.replace("-", "_")
    namespace: dict[str, Any] = {"__name__": module_name}
    try:
        exec(compile(example.source, f"<{example.id}>", "exec"), namespace)
    except ImportError as error:
        built.error = f"{type(error).__name__}: {error}"
        return built
    sites = outline.sites(example)[0]
    for node in outline.classes:
        cls = namespace.get(node.name)
        if not (inspect.isclass(cls) and issubclass(cls, torch.nn.Module) and cls.__module__ == module_name):
            continue
        wanted = {s.attr for s in sites if s.cls == node.name and s.method == "__init__"}
        first: Optional[tuple[Any, dict[str, Any]]] = None
        errors = []
        for kwargs in argument_sets(cls.__init__, device):
            try:
                with cuda_stand_in(built.stand_ins):
                    instance = cls(**kwargs)
            except Exception as error:  # noqa: BLE001 - the next guess, then reported
                errors.append(f"{kwargs}: {type(error).__name__}: {error}")
                continue
            if first is None:
                first = (instance, kwargs)
            if all(has_attr(instance, attr) for attr in wanted):
                first = (instance, kwargs)
                break
        if first is None:
            built.failed[node.name] = errors[0] if errors else "no argument set to try"
            continue
        instance, kwargs = first
        built.instances[node.name], built.arguments[node.name] = instance, kwargs
        for site in sites:
            if site.cls == node.name and site.method != "__init__" and not has_attr(instance, site.attr):
                call_method(built, instance, site.method, device)
    return built


def call_method(built: Built, instance: Any, name: str, device: str) -> None:
    """Call ``instance.<name>`` with the first arguments it accepts (a finding lies in it)."""
    method = getattr(type(instance), name)
    for kwargs in argument_sets(method, device):
        try:
            with cuda_stand_in(built.stand_ins):
                method(instance, **kwargs)
        except Exception:  # noqa: BLE001 - the next guess
            continue
        built.calls.append(f"{type(instance).__name__}.{name}({kwargs})")
        return
    built.calls.append(f"{type(instance).__name__}.{name}: no call succeeded")


# -- the claims ----------------------------------------------------------------------------------

#: A claim about ``self.<attr>`` of a built instance: ``None`` when it holds, else why not.
Claim = Callable[[Any, str], Optional[str]]


def _where(instance: Any, attr: str) -> str:
    for store in ("_parameters", "_buffers", "_modules"):
        if attr in getattr(instance, store):
            return f"registered in {store}"
    return "absent"


CONTAINERS = (list, tuple, set, frozenset, dict)


def _held(value: Any) -> list[Any]:
    """What a list, tuple, set or dict holds, at any depth (nothing, for anything else)."""
    if not isinstance(value, CONTAINERS):
        return []
    items = value.values() if isinstance(value, dict) else value
    return [x for item in items for x in (_held(item) if isinstance(item, CONTAINERS) else [item])]


def _registered_tensors(instance: Any) -> set[int]:
    return {id(t) for _, t in instance.named_parameters()} | {id(t) for _, t in instance.named_buffers()}


def plain_tensor_in_dict(instance: Any, attr: str) -> Optional[str]:
    """TPC001, TPC006: the value is a plain tensor in the instance ``__dict__``."""
    import torch

    if attr not in vars(instance):
        return f"self.{attr} is not in __dict__ ({_where(instance, attr)})"
    value = vars(instance)[attr]
    if not isinstance(value, torch.Tensor):
        return f"self.{attr} holds a {type(value).__name__}, not a tensor"
    if isinstance(value, torch.nn.Parameter):
        return f"self.{attr} is a Parameter"
    return None


def trainable_tensor_outside_parameters(instance: Any, attr: str) -> Optional[str]:
    """TPC002: a tensor that requires grad, in ``__dict__`` and not in ``parameters()``."""
    why = plain_tensor_in_dict(instance, attr)
    if why is not None:
        return why
    value = vars(instance)[attr]
    if not value.requires_grad:
        return f"self.{attr} does not require grad"
    if any(value is p for p in instance.parameters()):
        return f"self.{attr} is in parameters()"
    return None


def _container(instance: Any, attr: str) -> tuple[Optional[Any], Optional[str]]:
    if attr not in vars(instance):
        return None, f"self.{attr} is not in __dict__ ({_where(instance, attr)})"
    value = vars(instance)[attr]
    if not isinstance(value, CONTAINERS):
        return None, f"self.{attr} holds a {type(value).__name__}, not a list, tuple or dict"
    return value, None


def container_of_unregistered_modules(instance: Any, attr: str) -> Optional[str]:
    """TPC003: the container holds Modules that ``modules()``, ``named_parameters()`` and
    ``named_buffers()`` miss."""
    import torch

    value, why = _container(instance, attr)
    if why is not None:
        return why
    held = [m for m in _held(value) if isinstance(m, torch.nn.Module)]
    if not held:
        return f"self.{attr} holds no Module"
    registered_modules = {id(m) for m in instance.modules()}
    registered = _registered_tensors(instance)
    for module in held:
        if id(module) in registered_modules:
            return f"self.{attr} holds a {type(module).__name__} that modules() has"
        own = [id(t) for t in itertools.chain(module.parameters(), module.buffers())]
        if any(t in registered for t in own):
            return f"self.{attr} holds a {type(module).__name__} whose tensors named_parameters() has"
    return None


def container_of_unregistered_tensors(instance: Any, attr: str) -> Optional[str]:
    """TPC004: the container holds tensors that ``named_parameters()``/``named_buffers()`` miss."""
    import torch

    value, why = _container(instance, attr)
    if why is not None:
        return why
    held = [t for t in _held(value) if isinstance(t, torch.Tensor)]
    if not held:
        return f"self.{attr} holds no tensor"
    registered = _registered_tensors(instance)
    if any(id(t) in registered for t in held):
        return f"self.{attr} holds a tensor that named_parameters()/named_buffers() has"
    return None


def not_a_parameter(instance: Any, attr: str) -> Optional[str]:
    """TPC005: the value is not an ``nn.Parameter`` and not registered as one."""
    import torch

    if attr in instance._parameters:
        return f"self.{attr} is registered as a Parameter"
    value = getattr(instance, attr, None)
    if not isinstance(value, torch.Tensor):
        return f"self.{attr} holds a {type(value).__name__}, not a tensor"
    if isinstance(value, torch.nn.Parameter):
        return f"self.{attr} is a Parameter"
    return None


#: What an INVALID line claims about its attribute, by code.
INVALID_CLAIMS: dict[str, Claim] = {
    "TPC001": plain_tensor_in_dict,
    "TPC002": trainable_tensor_outside_parameters,
    "TPC003": container_of_unregistered_modules,
    "TPC004": container_of_unregistered_tensors,
    "TPC005": not_a_parameter,
    "TPC006": plain_tensor_in_dict,
}


def no_plain_tensor(instance: Any, attr: str) -> Optional[str]:
    if plain_tensor_in_dict(instance, attr) is None:
        return f"self.{attr} is a plain tensor in __dict__"
    return None


def no_trainable_tensor(instance: Any, attr: str) -> Optional[str]:
    if trainable_tensor_outside_parameters(instance, attr) is None:
        return f"self.{attr} requires grad outside parameters()"
    return None


def only_registered_modules(instance: Any, attr: str) -> Optional[str]:
    import torch

    registered = {id(m) for m in instance.modules()}
    value = vars(instance).get(attr)
    stray = [m for m in _held(value) if isinstance(m, torch.nn.Module) and id(m) not in registered]
    return f"self.{attr} holds an unregistered {type(stray[0]).__name__}" if stray else None


def only_registered_tensors(instance: Any, attr: str) -> Optional[str]:
    import torch

    registered = _registered_tensors(instance)
    value = vars(instance).get(attr)
    stray = [t for t in _held(value) if isinstance(t, torch.Tensor) and id(t) not in registered]
    return f"self.{attr} holds an unregistered tensor" if stray else None


#: What a VALID class claims about each attribute it assigns, by its rule's code.
VALID_CLAIMS: dict[str, Claim] = {
    "TPC001": no_plain_tensor,
    "TPC002": no_trainable_tensor,
    "TPC003": only_registered_modules,
    "TPC004": only_registered_tensors,
    "TPC005": no_plain_tensor,
    "TPC006": no_plain_tensor,
}


def code_of(example: Example) -> str:
    return example.id.split("-")[0]


@dataclass(frozen=True)
class Verdict:
    where: str
    claim: str
    problem: Optional[str]


def check_invalid(example: Example, device: str = "meta") -> tuple[list[Verdict], list[str]]:
    """The verdict on each finding of an INVALID example, and the findings that were not checked."""
    built = build(example, device)
    if built.error is not None:
        return [], [f"the example does not run: {built.error}"]
    sites, unchecked = built.outline.sites(example)
    verdicts = []
    for site in sites:
        where = f"{example.id} line {site.line} {site.code} {site.cls}.{site.attr}"
        if site.code not in INVALID_CLAIMS:
            unchecked.append(f"{where}: no claim checker for {site.code}")
            continue
        if site.cls not in built.instances:
            unchecked.append(f"{where}: {site.cls} not built ({built.failed.get(site.cls, 'not a Module')})")
            continue
        claim = INVALID_CLAIMS[site.code]
        verdicts.append(Verdict(where, claim.__name__, claim(built.instances[site.cls], site.attr)))
    return verdicts, unchecked


def check_valid(example: Example) -> list[Verdict]:
    built = build(example)
    claim = VALID_CLAIMS[code_of(example)]
    verdicts = []
    for node in built.outline.classes:
        instance = built.instances.get(node.name)
        if instance is None:
            continue
        for attr in sorted(a for a in built.outline.assigned(node) if has_attr(instance, a)):
            where = f"{example.id} {node.name}.{attr}"
            verdicts.append(Verdict(where, claim.__name__, claim(instance, attr)))
    return verdicts


# -- the tests -----------------------------------------------------------------------------------


def test_every_code_has_claims() -> None:
    codes = {code for example in INVALID for _, code in example.expected} | {code_of(e) for e in VALID}
    assert codes <= set(INVALID_CLAIMS) and codes <= set(VALID_CLAIMS)


@pytest.mark.parametrize("example", INVALID, ids=lambda e: e.id)
def test_invalid_example_claims_hold_in_torch(example: Example) -> None:
    verdicts, unchecked = check_invalid(example)
    assert unchecked == [], "every finding's class must be built and its attribute found"
    assert verdicts, "an INVALID example checks at least one claim"
    assert [v for v in verdicts if v.problem is not None] == []


@pytest.mark.parametrize("example", VALID, ids=lambda e: e.id)
def test_valid_example_claims_hold_in_torch(example: Example) -> None:
    built = build(example)
    if built.error is not None:
        pytest.skip(f"{example.id}: {built.error}")
    assert built.failed == {}, "every Module class of a VALID example must be built"
    assert [v for v in check_valid(example) if v.problem is not None] == []


def test_summary() -> None:
    """How much of the examples the tier covers (``-rP`` prints it)."""
    import torch

    lines = [f"torch {torch.__version__}"]
    invalid_checked = valid_checked = 0
    for example in INVALID:
        verdicts, unchecked = check_invalid(example)
        invalid_checked += len(verdicts)
        lines.append(f"{example.id}: {len(verdicts)} finding(s) checked, {len(unchecked)} unchecked")
    built_valid = 0
    for example in VALID:
        built = build(example)
        if built.error is not None:
            lines.append(f"{example.id}: not run ({built.error})")
            continue
        built_valid += 1
        verdicts = check_valid(example)
        valid_checked += len(verdicts)
        lines.append(f"{example.id}: {len(built.instances)} class(es) built, "
                     f"{len(verdicts)} attribute(s) checked")
    for example in INVALID + VALID:
        built = build(example)
        for name, kwargs in built.arguments.items():
            lines.append(f"  {example.id} {name}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})")
        lines.extend(f"  {example.id} called {call}" for call in built.calls)
        if built.stand_ins:
            lines.append(f"  {example.id} stand-ins: {sorted(set(built.stand_ins))}")
    # Not asserted: which INVALID claims need the device argument to name another device than
    # the one the tensors are on (with dev="cpu", ``.to(dev)`` returns the tensor itself).
    for example in INVALID:
        built = build(example, "cpu")
        if any(v in ("meta", "cpu") for kwargs in built.arguments.values() for v in kwargs.values()):
            for verdict in check_invalid(example, "cpu")[0]:
                if verdict.problem is not None:
                    lines.append(f"  with dev='cpu' only: {verdict.where}: {verdict.problem}")
    lines.append(f"INVALID: {len(INVALID)} examples, {invalid_checked} findings checked")
    lines.append(f"VALID: {built_valid}/{len(VALID)} examples built, {valid_checked} attributes checked")
    print("\n".join(lines))
    assert built_valid >= VALID_BUILT_AT_LEAST * len(VALID)
    assert invalid_checked == sum(len(e.expected) for e in INVALID)


def test_containers_kept_by_add_match_torch() -> None:
    """The fixer turns ``self.xs = []`` grown by ``self.xs = self.xs + [...]`` into a torch
    container only when that ``+`` gives the container back, registered (CONTAINERS_KEPT_BY_ADD);
    ``+=`` and ``extend`` keep every torch list container."""
    import torch

    nn = torch.nn
    for name in tn.CONTAINERS_KEPT_BY_ADD:
        cls = getattr(nn, name)
        grown = cls() + [nn.Linear(2, 2)]
        assert type(grown) is cls and len(list(grown.parameters())) == 2, name
    for name in ("ModuleList",):
        cls = getattr(nn, name)
        grown = cls()
        grown += [nn.Linear(2, 2)]
        grown.extend([nn.Linear(2, 2)])
        assert type(grown) is cls and len(list(grown.parameters())) == 4, name
    # ParameterList has no __add__ (a list comes back): not in the table.
    assert "__add__" not in vars(nn.ParameterList) and "ParameterList" not in tn.CONTAINERS_KEPT_BY_ADD


def test_an_apply_override_moves_what_it_applies_fn_to() -> None:
    """TPC001 leaves an attribute that the class's ``_apply`` override applies ``fn`` to: it follows
    ``.to()`` (here a dtype, on the CPU) like a buffer."""
    import torch

    from test_rules import APPLIED

    namespace: dict[str, Any] = {}
    exec(compile(APPLIED, "applied.py", "exec"), namespace)
    grid = namespace["Grid"]().to(torch.float64)
    assert grid.grid.dtype == torch.float64
