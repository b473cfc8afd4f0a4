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
  plain tensor in ``__dict__``;
* TPC007: the container holds one object several times, so the Module has fewer parameters
  than its entries appear to hold; a VALID class's containers repeat no object that holds
  parameters or buffers.

TPC008 and TPC009 findings are about a line, not a ``self.<attr>`` (:data:`LINE_CLAIMS`): the
example is run again while recording what happens on that line.

* TPC008: ``forward`` is called twice in eval mode on the same input; what the line built in
  the first call (a Module or a Parameter, recorded by ``nn.Module.__init__`` and
  ``Parameter.__new__``) holds parameters missing from ``model.parameters()`` after the second
  call, or is a layer left in training mode; a VALID class builds nothing that way;
* TPC009: a tracer evaluates the statement's receiver before and after the line: it is the same
  object, with the same dtype and device, while the conversion gives another tensor; a VALID
  example drops no tensor conversion on a tensor.

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
import re
import sys
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

    def function_at(self, line: int) -> Optional[str]:
        """The module-level function holding ``line``."""
        for node in self.tree.body:
            if isinstance(node, ast.FunctionDef) and node.lineno <= line <= (node.end_lineno or node.lineno):
                return node.name
        return None

    def sites(self, example: Example) -> tuple[list[Site], list[str]]:
        """Each expected finding as a :class:`Site`, and the findings that could not be placed."""
        sites, unplaced = [], []
        lines = sorted({line for line, _ in example.expected})
        for line in lines:
            codes = [code for l_, code in example.expected if l_ == line]
            cls = self.class_at(line)
            if all(code in LINE_CLAIMS for code in codes):
                # A claim about the line (what it builds, what it drops): no attribute to find.
                method = self.method_at(cls, line) if cls is not None else self.function_at(line)
                sites.extend(Site(line, code, cls.name if cls else "", method or "?", "") for code in codes)
                continue
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
    if annotation is torch.nn.Module:  # any Module: a layer that takes the forward inputs
        return [torch.nn.Linear(4, 4)]
    if inspect.isclass(annotation) and annotation not in (parameter.empty, int, float, str) \
            and not issubclass(annotation, torch.Tensor):
        return instances_of(annotation, device)  # a class of the example: only its instances
    return [4, 2, True, "cpu", torch.zeros(4)]


def instances_of(cls: type, device: str) -> list[Any]:
    """The first instance of ``cls`` that its guessed arguments build (none: no guess)."""
    for kwargs in argument_sets(cls.__init__, device):
        try:
            return [cls(**kwargs)]
        except Exception:  # noqa: BLE001 - the next guess
            continue
    return []


def _signature(function: Callable[..., Any]) -> inspect.Signature:
    """The signature, with its annotations evaluated where they can be (the examples are compiled
    under this module's ``from __future__ import annotations``)."""
    try:
        return inspect.signature(function, eval_str=True)  # type: ignore[call-arg]
    except Exception:  # noqa: BLE001 - Python 3.9, or a name the example does not define
        return inspect.signature(function)


def argument_sets(function: Callable[..., Any], device: str = "meta", method: bool = True) -> list[dict[str, Any]]:
    """Keyword arguments to call ``function`` with (its ``self`` excluded, for a ``method``), at
    most MAX_ATTEMPTS."""
    required = [
        p for p in list(_signature(function).parameters.values())[1 if method else 0:]
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
        wanted = {s.attr for s in sites if s.cls == node.name and s.method == "__init__" and s.attr}
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
            if site.cls == node.name and site.method != "__init__" and site.attr \
                    and not has_attr(instance, site.attr):
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


@dataclass(frozen=True)
class Verdict:
    where: str
    claim: str
    problem: Optional[str]


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


def _entries(instance: Any, attr: str) -> tuple[Optional[list[Any]], Optional[str]]:
    """The entries of ``self.<attr>``: a plain list or tuple in ``__dict__``, or a registered
    ``nn.ModuleList``/``nn.Sequential``."""
    import torch

    value = vars(instance).get(attr, instance._modules.get(attr))
    if isinstance(value, (list, tuple)):
        return list(value), None
    if isinstance(value, (torch.nn.ModuleList, torch.nn.Sequential)):
        return list(value), None
    return None, f"self.{attr} holds a {type(value).__name__}, not a list, ModuleList or Sequential"


def _state(module: Any) -> int:
    return len(list(module.parameters())) + len(list(module.buffers()))


def repeated_object_shares_parameters(instance: Any, attr: str) -> Optional[str]:
    """TPC007: the container holds one Module object several times: its entries have fewer
    parameters together than one entry's times their number."""
    import torch

    entries, why = _entries(instance, attr)
    if entries is None:
        return why
    modules = [e for e in entries if isinstance(e, torch.nn.Module)]
    if len(modules) < 2:
        return f"self.{attr} holds {len(modules)} Module(s)"
    if len({id(m) for m in modules}) == len(modules):
        return f"self.{attr} holds {len(modules)} distinct objects"
    unique = {id(p): p for m in modules for p in m.parameters()}
    apparent = sum(len(list(m.parameters())) for m in modules)
    if not len(unique) < apparent:
        return f"self.{attr}: {len(unique)} distinct parameters for {apparent} apparent ones"
    return None


def no_repeated_object_with_state(instance: Any, attr: str) -> Optional[str]:
    """A VALID TPC007 class: no container repeats an object that holds parameters or buffers."""
    import torch

    entries, _ = _entries(instance, attr)
    seen: set[int] = set()
    for entry in entries or []:
        if isinstance(entry, torch.nn.Module) and _state(entry):
            if id(entry) in seen:
                return f"self.{attr} repeats a {type(entry).__name__} that holds parameters"
            seen.add(id(entry))
    return None


#: What an INVALID line claims about its attribute, by code.
INVALID_CLAIMS: dict[str, Claim] = {
    "TPC001": plain_tensor_in_dict,
    "TPC002": trainable_tensor_outside_parameters,
    "TPC003": container_of_unregistered_modules,
    "TPC004": container_of_unregistered_tensors,
    "TPC005": not_a_parameter,
    "TPC006": plain_tensor_in_dict,
    "TPC007": repeated_object_shares_parameters,
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
    "TPC007": no_repeated_object_with_state,
}


# -- claims about a line: what it builds in forward (TPC008), what it drops (TPC009) --------------


def _example_lines(filename: str) -> list[int]:
    """The lines of the example that the frames on the stack are at."""
    lines = []
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename == filename:
            lines.append(frame.f_lineno)
        frame = frame.f_back  # type: ignore[assignment]
    return lines


@contextlib.contextmanager
def recording_constructions(filename: str, built: dict[int, list[Any]]) -> Iterator[None]:
    """Record every Module and Parameter made meanwhile, under each line of the example that a
    frame on the stack is at (``nn.Module.__init__`` and ``Parameter.__new__`` wrapped)."""
    import torch

    module_init = torch.nn.Module.__init__
    parameter_new = torch.nn.Parameter.__dict__["__new__"]

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        module_init(self, *args, **kwargs)
        for line in _example_lines(filename):
            built.setdefault(line, []).append(self)

    def new(cls: Any, *args: Any, **kwargs: Any) -> Any:
        made = parameter_new.__func__(cls, *args, **kwargs)
        for line in _example_lines(filename):
            built.setdefault(line, []).append(made)
        return made

    torch.nn.Module.__init__ = init  # type: ignore[method-assign]
    torch.nn.Parameter.__new__ = staticmethod(new)  # type: ignore[assignment]
    try:
        yield
    finally:
        torch.nn.Module.__init__ = module_init  # type: ignore[method-assign]
        torch.nn.Parameter.__new__ = parameter_new  # type: ignore[assignment]


def forward_inputs(method: Callable[..., Any]) -> list[dict[str, Any]]:
    """Arguments for ``forward`` and the like: a batch of two rows of four, then one row."""
    import torch

    required = [p.name for p in list(inspect.signature(method).parameters.values())[1:]
                if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    return [dict.fromkeys(required, value) for value in (torch.randn(2, 4), torch.randn(4))]


def _reads_training(module: Any) -> bool:
    try:
        return "self.training" in inspect.getsource(type(module).forward)
    except (OSError, TypeError):
        return False


@dataclass
class ForwardRun:
    """``forward`` called twice, in eval mode, on a fresh instance of a class."""

    instance: Any = None
    first: dict[int, list[Any]] = field(default_factory=dict)  #: line -> made in the first call
    second: dict[int, list[Any]] = field(default_factory=dict)
    error: Optional[str] = None


@functools.lru_cache(maxsize=None)
def forward_twice(example: Example, cls: str) -> ForwardRun:
    built = build(example)
    if cls not in built.instances:
        return ForwardRun(error=f"{cls} not built ({built.failed.get(cls, 'not a Module')})")
    kind = type(built.instances[cls])
    instance = kind(**built.arguments[cls])
    instance.eval()
    for inputs in forward_inputs(kind.forward):
        try:
            instance(**inputs)
        except Exception:  # noqa: BLE001 - the next input
            continue
        instance = kind(**built.arguments[cls])  # a fresh one for the recorded calls
        instance.eval()
        run = ForwardRun(instance)
        filename = f"<{example.id}>"
        with recording_constructions(filename, run.first):
            instance(**inputs)
        with recording_constructions(filename, run.second):
            instance(**inputs)
        return run
    return ForwardRun(error=f"{cls}.forward accepts none of the inputs tried")


def _lost_state(instance: Any, made: Any) -> bool:
    """``made`` (built by a forward call) holds trainable weights or buffers that the model no
    longer has and that no gradient reached during the call (a forward that trains what it
    builds is a training routine), or is a layer whose behaviour depends on the mode, left in
    training mode under an evaluated model.  A frozen Parameter is nobody's weight to lose."""
    import torch

    if isinstance(made, torch.nn.Parameter):
        tensors = [made] if made.requires_grad else []
    elif isinstance(made, torch.nn.Module):
        tensors = [*(p for p in made.parameters() if p.requires_grad), *made.buffers()]
    else:
        tensors = []
    kept = {id(t) for t in itertools.chain(instance.parameters(), instance.buffers())}
    if tensors:
        trained = all(t.grad is not None for t in tensors if t.requires_grad) and any(t.requires_grad for t in tensors)
        return not trained and not any(id(t) in kept for t in tensors)
    return isinstance(made, torch.nn.Module) and _reads_training(made) and made.training and not instance.training


def built_again_on_each_call(example: Example, site: Site, device: str) -> Optional[str]:
    """TPC008: what the line built in the first ``forward`` call is lost (its tensors are not
    the model's after the second call) or deaf to ``eval()``."""
    run = forward_twice(example, site.cls)
    if run.error is not None:
        return run.error
    made = run.first.get(site.line, [])
    if not made:
        return f"line {site.line} built nothing in forward"
    if not any(_lost_state(run.instance, m) for m in made):
        return f"line {site.line}: what it built is the model's, and follows eval()"
    return None


def built_once(example: Example) -> list[Verdict]:
    """A VALID TPC008 example: nothing its forward builds is lost or deaf to ``eval()``."""
    verdicts = []
    for name in build(example).instances:
        run = forward_twice(example, name)
        where = f"{example.id} {name}.forward"
        if run.error is not None:
            verdicts.append(Verdict(where, "built_once", run.error))
            continue
        lost = [f"line {line}: {type(m).__name__}" for line, made in sorted({**run.first, **run.second}.items())
                for m in made if _lost_state(run.instance, m)]
        verdicts.append(Verdict(where, "built_once", f"lost: {lost}" if lost else None))
    return verdicts


@dataclass(frozen=True)
class Look:
    """A value as the tracer saw it: its identity, whether it is a tensor, its dtype and device."""

    ident: int
    tensor: bool
    dtype: str = ""
    device: str = ""


def _look(value: Any) -> Look:
    import torch

    if isinstance(value, torch.Tensor):
        return Look(id(value), True, str(value.dtype), str(value.device))
    return Look(id(value), False)


def _evaluated(source: str, frame: Any) -> Optional[Look]:
    try:
        return _look(eval(source, frame.f_globals, frame.f_locals))  # noqa: S307 - the example's own code
    except Exception:  # noqa: BLE001 - the statement fails too
        return None


def discardable_statements(example: Example) -> dict[int, tuple[str, str]]:
    """Line -> (receiver, call) of each expression statement calling a method that only returns
    a new tensor (``x.to(d)``)."""
    from flake8_param_check.torch_names import DISCARDABLE_METHODS

    found = {}
    for node in ast.walk(ast.parse(example.source)):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) \
                and isinstance(node.value.func, ast.Attribute) and node.value.func.attr in DISCARDABLE_METHODS:
            found[node.lineno] = (ast.unparse(node.value.func.value), ast.unparse(node.value))
    return found


#: (receiver before, the call's result, receiver after) each time a traced line ran.
Observation = tuple[Optional[Look], Optional[Look], Optional[Look]]


@functools.lru_cache(maxsize=None)
def trace_statements(example: Example, device: str = "meta") -> dict[int, list[Observation]]:
    """Run the example (its module, each Module class built, each other method and function
    that holds one of :func:`discardable_statements` called) under a tracer that looks at the
    statement's receiver before and after its line, and at the call's result."""
    import torch

    statements = discardable_statements(example)
    filename = f"<{example.id}>"
    observed: dict[int, list[Observation]] = {}
    pending: dict[int, tuple[int, Optional[Look], Optional[Look]]] = {}

    def local(frame: Any, event: str, arg: Any) -> Any:
        key = id(frame)
        if event in ("line", "return") and key in pending:
            line, before, result = pending.pop(key)
            after = _evaluated(statements[line][0], frame)
            observed.setdefault(line, []).append((before, result, after))
        if event == "line" and frame.f_lineno in statements:
            receiver, call = statements[frame.f_lineno]
            pending[key] = (frame.f_lineno, _evaluated(receiver, frame), _evaluated(call, frame))
        return local

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename == filename else None

    outline = Outline(example)
    namespace: dict[str, Any] = {"__name__": "tpc_trace_" + example.id.replace("-", "_")}
    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        exec(compile(example.source, filename, "exec"), namespace)
        for node in outline.tree.body:
            value = namespace.get(getattr(node, "name", ""))
            lines = range(node.lineno, (node.end_lineno or node.lineno) + 1)
            if not any(line in statements for line in lines):
                continue
            if isinstance(node, ast.FunctionDef) and callable(value):
                _call_first(value, argument_sets(value, device, method=False))
            elif isinstance(node, ast.ClassDef) and inspect.isclass(value) and issubclass(value, torch.nn.Module):
                instance = _call_first(value, argument_sets(value.__init__, device))
                for method in node.body:
                    inside = range(method.lineno, (method.end_lineno or method.lineno) + 1)
                    if instance is None or not isinstance(method, ast.FunctionDef) or method.name == "__init__" \
                            or not any(line in statements for line in inside):
                        continue
                    bound = getattr(instance, method.name)
                    _call_first(bound, forward_inputs(getattr(value, method.name))
                                + argument_sets(getattr(value, method.name), device))
    finally:
        sys.settrace(previous)
    return observed


def _call_first(function: Callable[..., Any], argument_sets: list[dict[str, Any]]) -> Any:
    """Call ``function`` with the first argument set it accepts; what it returned (or None)."""
    for kwargs in argument_sets:
        try:
            return function(**kwargs)
        except Exception:  # noqa: BLE001 - the next guess
            continue
    return None


def tensor_left_as_it_was(example: Example, site: Site, device: str) -> Optional[str]:
    """TPC009: each time the line ran, its receiver was a tensor that stayed the same object,
    with the same dtype and device, while the conversion gave another tensor."""
    observations = trace_statements(example, device).get(site.line, [])
    if not observations:
        return f"line {site.line} never ran"
    for before, result, after in observations:
        if before is None or not before.tensor:
            return f"line {site.line}: the receiver is not a tensor"
        if after != before:
            return f"line {site.line}: the receiver changed ({before} -> {after})"
        if result is None or result.ident == before.ident:
            return f"line {site.line}: the conversion gives the tensor itself"
    return None


def no_conversion_dropped(example: Example) -> list[Verdict]:
    """A VALID TPC009 example: no statement drops a conversion of a tensor."""
    verdicts = []
    for line, observations in sorted(trace_statements(example).items()):
        dropped = [o for o in observations if o[0] is not None and o[0].tensor
                   and o[1] is not None and o[1].ident != o[0].ident]
        verdicts.append(Verdict(f"{example.id} line {line}", "no_conversion_dropped",
                                f"a conversion of a tensor dropped: {dropped[0]}" if dropped else None))
    return verdicts


#: A claim about a line of an INVALID example (its finding has no ``self.<attr>``).
LineClaim = Callable[[Example, Site, str], Optional[str]]
LINE_CLAIMS: dict[str, LineClaim] = {
    "TPC008": built_again_on_each_call,
    "TPC009": tensor_left_as_it_was,
}
#: What a VALID example of those codes claims, over the whole example.
VALID_LINE_CLAIMS: dict[str, Callable[[Example], list[Verdict]]] = {
    "TPC008": built_once,
    "TPC009": no_conversion_dropped,
}


def code_of(example: Example) -> str:
    return example.id.split("-")[0]


def check_invalid(example: Example, device: str = "meta") -> tuple[list[Verdict], list[str]]:
    """The verdict on each finding of an INVALID example, and the findings that were not checked."""
    built = build(example, device)
    if built.error is not None:
        return [], [f"the example does not run: {built.error}"]
    sites, unchecked = built.outline.sites(example)
    verdicts = []
    for site in sites:
        where = f"{example.id} line {site.line} {site.code} {site.cls}.{site.attr or site.method}"
        if site.code in LINE_CLAIMS:
            line_claim = LINE_CLAIMS[site.code]
            verdicts.append(Verdict(where, line_claim.__name__, line_claim(example, site, device)))
            continue
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
    if code_of(example) in VALID_LINE_CLAIMS:
        return VALID_LINE_CLAIMS[code_of(example)](example)
    built = build(example)
    claim = VALID_CLAIMS[code_of(example)]
    verdicts = []
    for node in built.outline.classes:
        instance = built.instances.get(node.name)
        if instance is None:
            continue
        for attr in sorted(a for a in built.outline.assigned(node) if has_attr(instance, a)):
            where = f"{example.id} {node.name}.{attr}"
            if code_of(example) in VALID_EXEMPTIONS and VALID_EXEMPTIONS[code_of(example)](example, node, attr):
                continue
            verdicts.append(Verdict(where, claim.__name__, claim(instance, attr)))
    return verdicts


def sharing_named(example: Example, node: ast.ClassDef, attr: str) -> bool:
    """TPC007 does not report a repetition that the code names (``shared_head``, ``if
    share_heads:``): a VALID class may hold one on purpose."""
    lines = example.source.splitlines()
    words = re.compile(r"(?<![A-Za-z])(?:share[ds]?|sharing|tie[ds]?|tying)(?![a-z])", re.IGNORECASE)
    for statement in ast.walk(node):
        if any(_self_attr(t) == attr for t in _targets(statement)):
            guards = [n.test for n in ast.walk(node) if isinstance(n, ast.If)
                      and any(s is statement for b in n.body for s in ast.walk(b))]
            texts = [lines[statement.lineno - 1], *(ast.unparse(test) for test in guards)]
            if any(words.search(text) for text in texts):
                return True
    return False


#: Attributes of a VALID class that a rule documents as not reported although its claim fails.
VALID_EXEMPTIONS: dict[str, Callable[[Example, ast.ClassDef, str], bool]] = {"TPC007": sharing_named}


# -- the tests -----------------------------------------------------------------------------------


def test_every_code_has_claims() -> None:
    codes = {code for example in INVALID for _, code in example.expected} | {code_of(e) for e in VALID}
    assert codes <= set(INVALID_CLAIMS) | set(LINE_CLAIMS)
    assert codes <= set(VALID_CLAIMS) | set(VALID_LINE_CLAIMS)


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
