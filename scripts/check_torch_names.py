"""Check every table of ``flake8_param_check.torch_names`` against a real PyTorch.

    python scripts/check_torch_names.py                # the checks; exit 1 on any mismatch
    python scripts/check_torch_names.py --candidates   # also list documented tensor functions
                                                       # and methods the tables leave out
    python scripts/check_torch_names.py --no-layers    # skip building the torch.nn layers

Run it in a virtual environment that has torch (and the package) installed; torch is never a
dependency of the package.  What it checks:

* every qualified name of every table resolves (``getattr`` from the top module, importing a
  submodule where an attribute is missing): classes are classes, functions are callable and not
  classes, Module bases are ``nn.Module`` subclasses, Parameter classes subclass
  ``nn.Parameter``, distribution classes subclass ``Distribution``;
* the tensor functions and methods are documented to return one Tensor wherever their docstring
  or annotation states a return (a tuple, a list, a bool, or an overload giving one, is a
  mismatch; the few names kept in spite of their docstring are called instead, see
  ``CALLED_INSTEAD``), and none of the names ``LEFT_OUT`` on purpose is in the tables;
* every ``TENSOR_METHODS``/``CONVERSION_METHODS`` name is a method of ``torch.Tensor``, every
  ``TENSOR_PROPERTIES`` name a property of it, every ``MODULE_SELF_METHODS`` name a method of
  ``nn.Module`` that returns the Module itself (called on a small ``nn.Linear`` where this
  machine can), every register method exists with the table's keywords;
* ``is_torch_module_class`` agrees with ``issubclass(x, nn.Module)`` over every capitalised name
  of ``torch.nn`` and its public submodules (a private ``_Name`` that is a Module must be taken
  for one; a private helper taken for a Module is only noted);
* every parameter and buffer that a ``torch.nn`` layer registers itself (each layer built on CPU
  with small arguments) satisfies ``is_torch_layer_state``;
* ``DISTRIBUTION_CLASSES`` holds every distribution class of ``torch.distributions``, and the
  distribution methods and properties give tensors on a few real distributions;
* what a layer holds: each ``PARAMETER_FREE_MODULES``, ``LOSS_MODULES`` and ``CONTAINER_MODULES``
  name is a ``torch.nn`` Module class that, built with its defaults, holds no Parameter and no
  buffer (a loss subclasses ``_Loss``); ``MODE_DEPENDENT_MODULES`` are exactly those of them
  whose ``forward`` reads ``self.training``; a parameter-free layer the tables leave out is
  noted;
* ``DISCARDABLE_METHODS`` return another tensor and leave the receiver as it was (called on a
  small CPU tensor where this machine can), and ``REPEAT_FUNCTIONS`` give one object several
  times.

Names of other libraries (transformers, lightning, torchmetrics, torch_geometric, ...) are checked
only when that library is installed, else skipped with a note.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import itertools
import pkgutil
import re
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional

from flake8_param_check import effects
from flake8_param_check import torch_names as tn
from flake8_param_check.values import Kind

warnings.filterwarnings("ignore")

import torch  # noqa: E402  (after the warnings filter: torch warns on import without numpy)
from torch import nn  # noqa: E402


@dataclass
class Section:
    title: str
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def ok(self, condition: bool, problem: str) -> None:
        self.checked += 1
        if not condition:
            self.problems.append(problem)


class Report:
    def __init__(self) -> None:
        self.sections: list[Section] = []

    def section(self, title: str) -> Section:
        self.sections.append(Section(title))
        return self.sections[-1]

    def print(self) -> int:
        failed = 0
        for section in self.sections:
            status = "ok" if not section.problems else f"{len(section.problems)} MISMATCH"
            print(f"{section.title}: {section.checked} checked, {status}")
            for problem in section.problems:
                print(f"    MISMATCH {problem}")
            for note in section.notes:
                print(f"    note: {note}")
            failed += len(section.problems)
        checks = sum(s.checked for s in self.sections)
        print(f"torch {torch.__version__}: {checks} checks, {failed} mismatches")
        return 1 if failed else 0


# -- resolving names ----------------------------------------------------------------------------

_MISSING = object()


def installed(root: str) -> bool:
    try:
        return importlib.util.find_spec(root) is not None
    except (ImportError, ValueError):
        return False


def resolve(qualname: str) -> tuple[Any, Optional[str]]:
    """The object ``qualname`` names, by ``getattr`` from its top module (importing a submodule
    where the attribute is not there yet, as ``from a.b import c`` would); or why not."""
    parts = qualname.split(".")
    try:
        obj: Any = importlib.import_module(parts[0])
    except ImportError as error:
        return _MISSING, f"cannot import {parts[0]}: {error}"
    for i, part in enumerate(parts[1:], start=1):
        nxt = getattr(obj, part, _MISSING)
        if nxt is _MISSING and inspect.ismodule(obj):
            try:
                nxt = importlib.import_module(".".join(parts[: i + 1]))
            except ImportError:
                nxt = _MISSING
        if nxt is _MISSING:
            return _MISSING, f"{'.'.join(parts[:i])} has no attribute {part!r}"
        obj = nxt
    return obj, None


def library_note(section: Section, names: Iterable[str]) -> list[str]:
    """The names whose library is importable here; a note for the others."""
    kept, skipped = [], {}
    for name in sorted(names):
        root = name.split(".")[0]
        if root == "torch" or installed(root):
            kept.append(name)
        else:
            skipped.setdefault(root, []).append(name)
    for root, missing in sorted(skipped.items()):
        section.notes.append(f"{len(missing)} name(s) of {root} skipped: {root} is not installed")
    return kept


#: Paths of older releases of a library, kept in the tables for code written against them: when the
#: installed release lacks one, that is a note, not a mismatch.
LEGACY_PATHS: dict[str, str] = {
    "pytorch_lightning.core.lightning.LightningModule": "pytorch_lightning < 1.7",
}


def check_qualified(report: Report, title: str, names: Iterable[str],
                    predicate: Callable[[Any], Optional[str]]) -> None:
    section = report.section(title)
    for name in library_note(section, names):
        obj, why = resolve(name)
        if why is not None and name in LEGACY_PATHS:
            section.notes.append(f"{name}: {why} (a path of {LEGACY_PATHS[name]})")
            continue
        if why is not None:
            section.ok(False, f"{name}: {why}")
            continue
        problem = predicate(obj)
        section.ok(problem is None, f"{name}: {problem}")


def is_class(obj: Any) -> Optional[str]:
    return None if inspect.isclass(obj) else f"not a class ({type(obj).__name__})"


def subclass_of(base: type) -> Callable[[Any], Optional[str]]:
    def check(obj: Any) -> Optional[str]:
        if not inspect.isclass(obj):
            return f"not a class ({type(obj).__name__})"
        return None if issubclass(obj, base) else f"not a subclass of {base.__module__}.{base.__qualname__}"
    return check


def is_function(obj: Any) -> Optional[str]:
    if inspect.isclass(obj):
        return "a class, not a function"
    return None if callable(obj) else f"not callable ({type(obj).__name__})"


def is_module(obj: Any) -> Optional[str]:
    return None if inspect.ismodule(obj) else f"not a module ({type(obj).__name__})"


# -- documented returns --------------------------------------------------------------------------

#: Table names whose docstring states another return than one Tensor: why each is kept, and a call
#: that shows the tensor it gives.
CALLED_INSTEAD: dict[str, tuple[str, Callable[[], Any]]] = {
    "torch.combinations": ("its docstring says '-> seq', but it returns a 2-D tensor",
                           lambda: torch.combinations(torch.arange(3))),
    "torch.where": ("kept for its common form where(condition, input, other); where(condition) alone "
                    "is nonzero(as_tuple=True), a tuple",
                    lambda: torch.where(torch.tensor([True, False]), 1.0, 0.0)),
}

#: Methods documented to return a tensor or something else, by their arguments, where the effects
#: table gives no tensor for the other case: each is checked against ``effects.method``.
ARGUMENT_DEPENDENT: dict[str, Callable[[], bool]] = {
    # "type(dtype=None, ...) -> str or Tensor": ``x.type()`` with no argument is the type's name.
    "type": lambda: effects.method(Kind.TENSOR, "type", has_args=False) is None
    and isinstance(torch.zeros(1).type(), str),
}

#: Names that may give one Tensor but that the tables leave out on purpose, because they give
#: something else for some arguments (``--candidates`` does not list them; the tables must not
#: hold them).
LEFT_OUT: dict[str, str] = {
    **dict.fromkeys(("torch.max", "torch.min", "torch.median", "torch.nanmedian"), "a tuple with a dim"),
    **dict.fromkeys(("torch.dequantize", "torch.quantize_per_tensor"), "a list for a list"),
    **dict.fromkeys(("torch.unique", "torch.unique_consecutive"), "a tuple with return_inverse=True"),
    **dict.fromkeys((f"torch.atleast_{n}d" for n in (1, 2, 3)), "a tuple for several tensors"),
    **dict.fromkeys(
        (f"torch.nn.functional.{kind}max_pool{n}d" for kind in ("", "adaptive_") for n in (1, 2, 3)),
        "a tuple with return_indices=True",
    ),
    **dict.fromkeys(
        (f"torch.nn.functional.fractional_max_pool{n}d" for n in (2, 3)), "a tuple with return_indices=True"
    ),
    "torch.matrix_rank": "removed: raises, see torch.linalg.matrix_rank",
    "Tensor.allclose": "a bool, whatever its docstring says",
    "Tensor.nonzero": "a tuple with as_tuple=True",
}


def documented_return(obj: Any, name: str) -> Optional[str]:
    """What the docstring's signature lines (``name(...) -> X``, one per overload, joined with
    ``" | "``) or else the annotation say ``obj`` returns; ``None`` when neither says."""
    doc = getattr(obj, "__doc__", None) or ""
    pattern = re.compile(r"^\s*(?:\.\. function:: )?(?:[\w.]+\.)?" + re.escape(name)
                         + r"\(.*\)\s*->\s*(.+?)\s*:?\s*(?:#.*)?$")
    overloads = [match.group(1) for match in map(pattern.match, doc.splitlines()) if match]
    if overloads:
        return " | ".join(overloads)
    try:
        annotation = inspect.signature(obj).return_annotation
    except (TypeError, ValueError):
        return None
    if annotation is inspect.Signature.empty:
        return None
    return annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))


_ONE_TENSOR = re.compile(r"(?:torch\.)?(?:[A-Z][a-z]+)?Tensor\Z")


def one_tensor(returned: str) -> bool:
    """``Tensor``, ``torch.Tensor``, ``LongTensor``: one tensor; not ``(Tensor, Tensor)``,
    ``List of Tensors``, ``Tensor or (Tensor, Tensor)``, nor overloads of which one is not."""
    return all(_ONE_TENSOR.match(part.strip()) is not None for part in returned.split(" | "))


def check_documented_returns(report: Report) -> None:
    section = report.section("documented returns of TENSOR_FUNCTIONS")
    undocumented = []
    for name in sorted(tn.TENSOR_FUNCTIONS):
        obj, why = resolve(name)
        if why is not None:
            continue  # reported by the resolution check
        if name in CALLED_INSTEAD:
            reason, call = CALLED_INSTEAD[name]
            section.ok(isinstance(call(), torch.Tensor), f"{name}: a call gives no tensor")
            section.notes.append(f"{name}: {reason}")
            continue
        returned = documented_return(obj, name.rpartition(".")[2])
        if returned is None:
            undocumented.append(name)
            continue
        section.ok(one_tensor(returned), f"{name}: documented to return {returned!r}")
    if undocumented:
        section.notes.append(f"{len(undocumented)} without a stated return: {' '.join(undocumented)}")
    for name in sorted(LEFT_OUT):
        method = name.startswith("Tensor.")
        listed = name[len("Tensor."):] in tn.TENSOR_METHODS if method else name in tn.TENSOR_FUNCTIONS
        section.ok(not listed, f"{name} is in the tables but gives {LEFT_OUT[name]}")

    section = report.section("documented returns of TENSOR_METHODS")
    undocumented = []
    for name in sorted(tn.TENSOR_METHODS):
        obj = getattr(torch.Tensor, name, None)
        if obj is None or not callable(obj):
            continue  # reported by the method check
        returned = documented_return(obj, name)
        if returned is None:
            undocumented.append(name)
            continue
        if name in ARGUMENT_DEPENDENT:
            section.ok(ARGUMENT_DEPENDENT[name](), f"Tensor.{name}: {returned!r}, and the effects table "
                       "does not tell the cases apart")
            continue
        section.ok(one_tensor(returned), f"Tensor.{name}: documented to return {returned!r}")
    if undocumented:
        section.notes.append(f"{len(undocumented)} without a stated return: {' '.join(undocumented)}")


# -- methods and properties ----------------------------------------------------------------------


def check_methods(report: Report) -> None:
    section = report.section("TENSOR_METHODS and CONVERSION_METHODS are methods of torch.Tensor")
    for name in sorted(tn.TENSOR_METHODS | tn.CONVERSION_METHODS):
        attribute = getattr(torch.Tensor, name, None)
        section.ok(attribute is not None, f"Tensor.{name}: no such attribute")
        if attribute is not None:
            section.ok(callable(attribute), f"Tensor.{name}: not a method")

    section = report.section("TENSOR_PROPERTIES are properties of torch.Tensor that give tensors")
    sample = torch.zeros(2, 2, dtype=torch.cfloat)
    for name in sorted(tn.TENSOR_PROPERTIES):
        attribute = inspect.getattr_static(torch.Tensor, name, None)
        section.ok(attribute is not None and not callable(attribute), f"Tensor.{name}: not a property")
        section.ok(isinstance(getattr(sample, name, None), torch.Tensor), f"Tensor.{name}: gives no tensor")

    section = report.section("MODULE_SELF_METHODS are methods of nn.Module that return the Module")
    calls: dict[str, Callable[[nn.Module], Any]] = {
        "to": lambda m: m.to("cpu"),
        "cpu": lambda m: m.cpu(),
        "float": lambda m: m.float(),
        "double": lambda m: m.double(),
        "half": lambda m: m.half(),
        "bfloat16": lambda m: m.bfloat16(),
        "train": lambda m: m.train(),
        "eval": lambda m: m.eval(),
        "requires_grad_": lambda m: m.requires_grad_(False),
        "apply": lambda m: m.apply(lambda _: None),
        "type": lambda m: m.type(torch.float32),
        "share_memory": lambda m: m.share_memory(),
        "to_empty": lambda m: m.to_empty(device="cpu"),
    }
    no_device = []
    for name in sorted(tn.MODULE_SELF_METHODS):
        attribute = getattr(nn.Module, name, None)
        section.ok(callable(attribute), f"Module.{name}: not a method")
        if name in calls:
            module = nn.Linear(2, 2)
            section.ok(calls[name](module) is module, f"Module.{name}(...) does not return the Module")
        else:
            no_device.append(name)
    if no_device:
        section.notes.append(f"not called (no such device here): {' '.join(no_device)}")
    section.ok(set(calls) <= tn.MODULE_SELF_METHODS, "the script calls methods the table lacks")

    section = report.section("register methods and their keywords")
    torch_methods = tn.REGISTER_BUFFER_METHODS | tn.REGISTER_PARAMETER_METHODS | tn.REGISTER_MODULE_METHODS
    for name in sorted(torch_methods):
        method = getattr(nn.Module, name, None)
        section.ok(callable(method), f"Module.{name}: not a method")
        if not callable(method):
            continue
        parameters = list(inspect.signature(method).parameters)[1:]
        section.ok(parameters[:1] == [tn.REGISTER_NAME_KEYWORD],
                   f"Module.{name}: the name is {parameters[:1]}, not {tn.REGISTER_NAME_KEYWORD!r}")
        section.ok(parameters[1:2] != [] and parameters[1] in tn.REGISTER_VALUE_KEYWORDS,
                   f"Module.{name}: the value keyword {parameters[1:2]} is not in REGISTER_VALUE_KEYWORDS")
    state = library_note(section, [f"torchmetrics.Metric.{n}" for n in tn.REGISTER_STATE_METHODS])
    for name in state:
        method, why = resolve(name)
        section.ok(why is None and callable(method), f"{name}: {why or 'not a method'}")
        if why is None and callable(method):
            parameters = list(inspect.signature(method).parameters)[1:]
            first, value = parameters[:1], parameters[1:2]
            known = value != [] and value[0] in tn.REGISTER_VALUE_KEYWORDS
            expected = first == [tn.REGISTER_NAME_KEYWORD] and known
            section.ok(expected, f"{name}: parameters {parameters[:2]}")
    made = torch.zeros(1, **{tn.REQUIRES_GRAD: True})
    section.ok(getattr(made, tn.REQUIRES_GRAD) is True and callable(getattr(made, tn.REQUIRES_GRAD + "_")),
               f"{tn.REQUIRES_GRAD!r} is not torch's keyword, attribute and method")
    section.ok(callable(getattr(nn.Module, "__setattr__")) and tn.SETATTR == "setattr", "setattr")


# -- Module classes ------------------------------------------------------------------------------


def nn_names() -> dict[str, Any]:
    """Every capitalised name (``Linear``, ``_ConvNd``) that ``torch.nn`` or one of its public
    submodules offers: all of ``torch.nn``'s own namespace; of a submodule, its ``__all__`` and
    the classes it defines (not what it merely imports, such as ``typing.Any``)."""
    found = {f"torch.nn.{name}": getattr(nn, name) for name in dir(nn) if _capitalised(name)}
    for info in pkgutil.walk_packages(nn.__path__, "torch.nn."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        try:
            module = importlib.import_module(info.name)
        except Exception:  # noqa: BLE001 - a submodule that needs an optional dependency
            continue
        exported = set(getattr(module, "__all__", ()))
        for name in dir(module):
            obj = getattr(module, name)
            own = inspect.isclass(obj) and obj.__module__ == info.name
            if _capitalised(name) and (name in exported or own):
                found[f"{info.name}.{name}"] = obj
    return found


def _capitalised(name: str) -> bool:
    return name.lstrip("_")[:1].isupper() and not name.startswith("__")


def check_module_classes(report: Report) -> None:
    check_qualified(report, "MODULE_BASES are nn.Module subclasses", tn.MODULE_BASES, subclass_of(nn.Module))
    names = nn_names()
    section = report.section("NN_NON_MODULES are names in torch.nn that are not Modules")
    for name in sorted(tn.NN_NON_MODULES):
        found = {q: obj for q, obj in names.items() if q.rpartition(".")[2] == name}
        section.ok(bool(found), f"{name}: in no module of torch.nn")
        if name != "Module":
            for qualname, obj in sorted(found.items()):
                is_module_class = inspect.isclass(obj) and issubclass(obj, nn.Module)
                section.ok(not is_module_class, f"{qualname} is a Module")
    check_qualified(report, "NN_NON_MODULE_PACKAGES and INIT_PREFIXES are modules",
                    [p.rstrip(".") for p in tn.NN_NON_MODULE_PACKAGES + tn.INIT_PREFIXES], is_module)

    section = report.section("is_torch_module_class agrees with issubclass(x, nn.Module) over torch.nn")
    private_extra = []
    for qualname, obj in sorted(names.items()):
        truth = inspect.isclass(obj) and issubclass(obj, nn.Module)
        said = tn.is_torch_module_class(qualname)
        if said and not truth and qualname.rpartition(".")[2].startswith("_"):
            # A private helper (``_IncompatibleKeys``) taken for a Module: nobody subclasses it.
            private_extra.append(qualname)
            continue
        section.ok(said == truth, f"{qualname}: is_torch_module_class says {said}, torch says {truth}")
    if private_extra:
        section.notes.append(f"{len(private_extra)} private non-Modules taken for Modules (harmless): "
                             + " ".join(private_extra))
    modules = sum(1 for obj in names.values() if inspect.isclass(obj) and issubclass(obj, nn.Module))
    section.notes.append(f"{len(names)} names of torch.nn and its submodules, {modules} of them Modules")


# -- layer state ---------------------------------------------------------------------------------

#: How to build the layers that the guesses below do not build, or whose state depends on options
#: (``"LSTM/proj"``: a second build of ``nn.LSTM``).
LAYERS: dict[str, Callable[[], nn.Module]] = {
    "LSTM": lambda: nn.LSTM(4, 4, num_layers=2, bidirectional=True),
    "LSTM/proj": lambda: nn.LSTM(4, 4, num_layers=2, bidirectional=True, proj_size=2),
    "GRU": lambda: nn.GRU(4, 4, num_layers=2, bidirectional=True),
    "RNN": lambda: nn.RNN(4, 4, num_layers=2, bidirectional=True),
    "RNNBase": lambda: nn.RNNBase("LSTM", 4, 4),
    "MultiheadAttention": lambda: nn.MultiheadAttention(4, 2, add_bias_kv=True),
    "MultiheadAttention/kdim": lambda: nn.MultiheadAttention(4, 2, kdim=3, vdim=3),
    "InstanceNorm1d": lambda: nn.InstanceNorm1d(4, affine=True, track_running_stats=True),
    "InstanceNorm2d": lambda: nn.InstanceNorm2d(4, affine=True, track_running_stats=True),
    "InstanceNorm3d": lambda: nn.InstanceNorm3d(4, affine=True, track_running_stats=True),
    "AdaptiveLogSoftmaxWithLoss": lambda: nn.AdaptiveLogSoftmaxWithLoss(4, 10, [2, 6]),
    "FractionalMaxPool2d": lambda: nn.FractionalMaxPool2d(2, output_size=2),
    "FractionalMaxPool3d": lambda: nn.FractionalMaxPool3d(2, output_size=2),
    "TransformerEncoder": lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2), 1),
    "TransformerDecoder": lambda: nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2), 1),
    "BCEWithLogitsLoss": lambda: nn.BCEWithLogitsLoss(weight=torch.ones(2), pos_weight=torch.ones(2)),
    "CrossEntropyLoss": lambda: nn.CrossEntropyLoss(weight=torch.ones(2)),
    "NLLLoss": lambda: nn.NLLLoss(weight=torch.ones(2)),
}

#: Guesses for a required argument, by its name; anything else gets 4.
ARGUMENT_GUESSES: dict[str, Any] = {
    "kernel_size": 1, "normalized_shape": 4, "output_size": 2, "dim": 1, "dims": (0,), "size": 2,
    "padding": 1, "lambd": 0.5, "negative_slope": 0.1, "threshold": 0.1, "value": 0.0,
    "upscale_factor": 2, "downscale_factor": 2, "groups": 2, "num_groups": 2, "num_channels": 4,
    "norm_type": 2.0, "d_model": 4, "nhead": 2, "p": 0.5, "start_dim": 1, "unflattened_size": (2, 2),
    "shifts": 1, "margin": 1.0, "cutoffs": [2], "n_classes": 4, "alpha": 1.0,
}


def build_layer(key: str, cls: type) -> tuple[Optional[nn.Module], str]:
    """An instance of the torch.nn layer ``cls`` (on CPU, small sizes), or why it could not be built:
    by :data:`LAYERS`, else with a guess for each required argument, then with
    ``affine``/``track_running_stats``/``bias`` switched on."""
    attempts: list[Callable[[], nn.Module]]
    if key in LAYERS:
        attempts = [LAYERS[key]]
    else:
        try:
            parameters = inspect.signature(cls.__init__).parameters.values()
        except (TypeError, ValueError) as error:
            return None, f"no signature: {error}"
        kwargs = {
            p.name: ARGUMENT_GUESSES.get(p.name, 4)
            for p in parameters
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.default is p.empty
        }
        options = [p.name for p in parameters if p.name in ("affine", "track_running_stats", "bias")]
        attempts = [lambda: cls(**kwargs), lambda: cls(**kwargs, **dict.fromkeys(options, True))]
    errors = []
    for attempt in attempts:
        try:
            return attempt(), ""
        except Exception as error:  # noqa: BLE001 - reported
            errors.append(f"{type(error).__name__}: {str(error).splitlines()[0][:80] if str(error) else ''}")
    return None, errors[0]


def check_layer_state(report: Report) -> None:
    section = report.section("LAYER state: what torch.nn layers register satisfies is_torch_layer_state")
    layers = {n: getattr(nn, n) for n in dir(nn) if n[:1].isupper() and inspect.isclass(getattr(nn, n))
              and issubclass(getattr(nn, n), nn.Module)}
    # Containers register what their user names; a lazy layer registers what its eager twin does.
    skip = {"Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict", "Container"}
    keys = sorted({n for n in layers if n not in skip and not n.startswith("Lazy")}
                  | {k for k in LAYERS if k.split("/")[0] in layers})
    built, skipped, registered = 0, [], set()
    for key in keys:
        name = key.split("/")[0]
        module, why = build_layer(key, layers[name])
        if module is None:
            skipped.append(f"{name} ({why})")
            continue
        built += 1
        for attr in list(module._parameters) + list(module._buffers):
            registered.add(attr)
            section.ok(tn.is_torch_layer_state(attr),
                       f"nn.{name} registers {attr!r}, which is_torch_layer_state rejects")
    section.notes.append(f"{built} layers built; the names they register: {' '.join(sorted(registered))}")
    if skipped:
        section.notes.append(f"{len(skipped)} not built: {'; '.join(skipped)}")


# -- distributions -------------------------------------------------------------------------------


def _defaults_instance(cls: type) -> tuple[Optional[nn.Module], str]:
    """``cls`` built with a guess for each required argument and every option at its default."""
    try:
        parameters = inspect.signature(cls.__init__).parameters.values()
        kwargs = {p.name: ARGUMENT_GUESSES.get(p.name, 4) for p in parameters
                  if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
                  and p.default is p.empty}
        return cls(**kwargs), ""
    except Exception as error:  # noqa: BLE001 - reported
        return None, f"{type(error).__name__}: {str(error).splitlines()[0][:80] if str(error) else ''}"


def _reads_training(cls: type) -> bool:
    try:
        return "self.training" in inspect.getsource(cls.forward)  # type: ignore[attr-defined]
    except (OSError, TypeError):
        return False


def check_module_holds(report: Report) -> None:
    section = report.section("what a layer holds: PARAMETER_FREE, LOSS, MODE_DEPENDENT, CONTAINER modules")
    from torch.nn.modules.loss import _Loss

    tables = tn.PARAMETER_FREE_MODULES | tn.LOSS_MODULES | tn.CONTAINER_MODULES | tn.EMPTY_MODULE_BASES
    section.ok(tn.MODE_DEPENDENT_MODULES <= tn.PARAMETER_FREE_MODULES,
               "MODE_DEPENDENT_MODULES not parameter-free")
    section.ok(tn.MODULE_SEQUENCES <= tn.CONTAINER_MODULES, "MODULE_SEQUENCES are not CONTAINER_MODULES")
    section.ok(not (tn.PARAMETER_FREE_MODULES & tn.LOSS_MODULES), "a name is both parameter-free and a loss")
    for name in sorted(tables):
        cls = getattr(nn, name, None)
        if not (inspect.isclass(cls) and issubclass(cls, nn.Module)):
            section.ok(False, f"torch.nn.{name} is not a Module class")
            continue
        section.ok(effects.module_holds(f"torch.nn.{name}") is not effects.Holds.STATE,
                   f"module_holds(torch.nn.{name}) says it holds state")
        if name in tn.LOSS_MODULES:
            section.ok(issubclass(cls, _Loss), f"nn.{name} is not a loss (_Loss)")
        if name in tn.CONTAINER_MODULES or name in tn.EMPTY_MODULE_BASES:
            continue
        module, why = _defaults_instance(cls)
        if module is None:
            section.notes.append(f"nn.{name} not built with its defaults ({why})")
            continue
        held = len(list(module.parameters())) + len(list(module.buffers()))
        section.ok(held == 0, f"nn.{name}, built with its defaults, holds {held} Parameter(s) or buffer(s)")
        section.ok(_reads_training(cls) == (name in tn.MODE_DEPENDENT_MODULES),
                   f"nn.{name}: forward reads self.training: {_reads_training(cls)}; "
                   f"in MODE_DEPENDENT_MODULES: {name in tn.MODE_DEPENDENT_MODULES}")
    left_out = []
    for name in sorted(dir(nn)):
        cls = getattr(nn, name)
        if name in tables or name in tn.STATE_KEYWORDS or name.startswith("Lazy"):
            continue
        if not (inspect.isclass(cls) and issubclass(cls, nn.Module)):
            continue
        module, _ = _defaults_instance(cls)
        if module is not None and not list(module.parameters()) and not list(module.buffers()):
            left_out.append(name)
    if left_out:
        section.notes.append(f"parameter-free with their defaults, not in the tables (taken to hold state): "
                             f"{' '.join(left_out)}")
    section = report.section("STATE_KEYWORDS: the keywords that decide whether a norm layer holds state")
    for name, keywords in sorted(tn.STATE_KEYWORDS.items()):
        cls = getattr(nn, name, None)
        if cls is None:
            section.ok(False, f"torch.nn.{name} does not exist")
            continue
        required = [p.name for p in inspect.signature(cls.__init__).parameters.values()
                    if p.name != "self" and p.default is p.empty
                    and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        section.ok(len(required) == tn.STATE_KEYWORDS_AFTER.get(name, 1), f"nn.{name} requires {required}")
        defaults = {p.name: p.default for p in inspect.signature(cls.__init__).parameters.values()}
        for keyword, default in keywords.items():
            section.ok(defaults.get(keyword) is default,
                       f"nn.{name}({keyword}=...) defaults to {defaults.get(keyword)}")
        args = [ARGUMENT_GUESSES.get(p, 4) if p != "num_groups" else 2 for p in required]
        for values in itertools.product((False, True), repeat=len(keywords)):
            switches = dict(zip(keywords, values))
            try:
                module = cls(*args, **switches)
            except Exception as error:  # noqa: BLE001 - reported
                section.ok(False, f"nn.{name}(**{switches}): {type(error).__name__}: {error}")
                continue
            held = len(list(module.parameters())) + len(list(module.buffers()))
            says = effects.module_holds(f"torch.nn.{name}", dict(switches))
            section.ok((says is effects.Holds.STATE) == (held > 0),
                       f"nn.{name}(**{switches}) holds {held} tensor(s); module_holds says {says}")


def check_discardable(report: Report) -> None:
    section = report.section("DISCARDABLE_METHODS give another tensor and change nothing in place")
    arguments: dict[str, tuple[Any, ...]] = {"to": (torch.float64,), "type": (torch.float64,),
                                             "type_as": (torch.zeros(2, dtype=torch.float64),)}
    skipped = []
    for name in sorted(tn.DISCARDABLE_METHODS):
        section.ok(callable(getattr(torch.Tensor, name, None)), f"Tensor.{name} is not a method")
        x = torch.arange(4.0).reshape(2, 2).t()  # float32, not contiguous
        before = (x.dtype, x.device, x.data_ptr(), x.stride(), x.clone())
        try:
            result = getattr(x, name)(*arguments.get(name, ()))
        except Exception as error:  # noqa: BLE001 - no such device here
            skipped.append(f"{name} ({type(error).__name__})")
            continue
        section.ok(isinstance(result, torch.Tensor), f"x.{name}() gives a {type(result).__name__}")
        after = (x.dtype, x.device, x.data_ptr(), x.stride())
        section.ok(after == before[:4] and torch.equal(x, before[4]), f"x.{name}() changes x in place")
    if skipped:
        section.notes.append(f"not called on this machine: {', '.join(skipped)}")
    section = report.section("REPEAT_FUNCTIONS give one object several times")
    for qualname in sorted(tn.REPEAT_FUNCTIONS):
        function, why = resolve(qualname)
        if why is not None:
            section.ok(False, f"{qualname}: {why}")
            continue
        obj = nn.Linear(2, 2)
        items = list(function(obj, 3))
        section.ok(len(items) == 3 and all(item is obj for item in items), f"{qualname}(x, 3) copies x")


def check_distributions(report: Report) -> None:
    from torch import distributions as D

    check_qualified(report, "DISTRIBUTION_CLASSES are Distribution classes", tn.DISTRIBUTION_CLASSES,
                    subclass_of(D.Distribution))
    section = report.section("DISTRIBUTION_CLASSES covers torch.distributions")
    exported = {f"torch.distributions.{n}" for n in dir(D)
                if inspect.isclass(getattr(D, n)) and issubclass(getattr(D, n), D.Distribution)}
    for name in sorted(exported):
        section.ok(name in tn.DISTRIBUTION_CLASSES, f"{name} is missing")

    section = report.section("DISTRIBUTION_TENSOR_METHODS and _PROPERTIES give tensors")
    for name in sorted(tn.DISTRIBUTION_TENSOR_METHODS):
        section.ok(callable(getattr(D.Distribution, name, None)), f"Distribution.{name}: not a method")
    for name in sorted(tn.DISTRIBUTION_TENSOR_PROPERTIES):
        section.ok(isinstance(inspect.getattr_static(D.Distribution, name, None), property),
                   f"Distribution.{name}: not a property")
    samples = {
        "Normal": D.Normal(torch.zeros(2), torch.ones(2)),
        "Bernoulli": D.Bernoulli(probs=torch.full((2,), 0.5)),
        "Categorical": D.Categorical(probs=torch.full((3,), 1 / 3)),
    }
    value = {"Normal": torch.zeros(2), "Bernoulli": torch.ones(2), "Categorical": torch.tensor(1)}
    calls: dict[str, Callable[[Any, torch.Tensor], Any]] = {
        "sample": lambda d, v: d.sample(),
        "rsample": lambda d, v: d.rsample(),
        "sample_n": lambda d, v: d.sample_n(2),
        "log_prob": lambda d, v: d.log_prob(v),
        "cdf": lambda d, v: d.cdf(v),
        "icdf": lambda d, v: d.icdf(torch.full_like(v, 0.5, dtype=torch.float)),
        "entropy": lambda d, v: d.entropy(),
        "perplexity": lambda d, v: d.perplexity(),
        "enumerate_support": lambda d, v: d.enumerate_support(),
    }
    unsupported = []
    for name in sorted(tn.DISTRIBUTION_TENSOR_METHODS | tn.DISTRIBUTION_TENSOR_PROPERTIES):
        gave = []
        for dist_name, dist in samples.items():
            try:
                result = calls[name](dist, value[dist_name]) if name in calls else getattr(dist, name)
            except NotImplementedError:
                unsupported.append(f"{dist_name}.{name}")
                continue
            gave.append(isinstance(result, torch.Tensor))
        section.ok(bool(gave) and all(gave), f"{name}: gives no tensor on {list(samples)}")
    section.notes.append(f"not implemented by that distribution: {' '.join(unsupported)}")


# -- candidates ----------------------------------------------------------------------------------


def candidates() -> None:
    """Documented single-Tensor functions and methods that the tables leave out."""
    modules = {"torch": torch, "torch.nn.functional": nn.functional, "torch.linalg": torch.linalg,
               "torch.fft": torch.fft, "torch.special": torch.special}
    for module_name, module in modules.items():
        missing = []
        for name in sorted(dir(module)):
            obj = getattr(module, name)
            if name.startswith("_") or name.endswith("_") or inspect.isclass(obj) or not callable(obj):
                continue
            qualname = f"{module_name}.{name}"
            returned = documented_return(obj, name)
            if qualname in tn.TENSOR_FUNCTIONS or qualname in LEFT_OUT:
                continue
            if returned is not None and one_tensor(returned):
                missing.append(name)
        print(f"candidates in {module_name} ({len(missing)}): {' '.join(missing)}")
    missing = []
    for name in sorted(dir(torch.Tensor)):
        obj = getattr(torch.Tensor, name)
        if name.startswith("_") or tn.method_may_give_tensor(name) or f"Tensor.{name}" in LEFT_OUT \
                or not callable(obj):
            continue
        returned = documented_return(obj, name)
        if returned is not None and one_tensor(returned):
            missing.append(name)
    print(f"candidates among Tensor methods ({len(missing)}): {' '.join(missing)}")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", action="store_true",
                        help="list documented tensor functions and methods the tables lack")
    parser.add_argument("--no-layers", action="store_true", help="do not build the torch.nn layers")
    options = parser.parse_args(argv)
    print(f"torch {torch.__version__} from {torch.__file__}")
    report = Report()
    check_module_classes(report)
    check_qualified(report, "PARAMETER_CLASSES subclass nn.Parameter", tn.PARAMETER_CLASSES,
                    subclass_of(nn.Parameter))
    check_qualified(report, "BUFFER_CLASSES are classes", tn.BUFFER_CLASSES, is_class)
    check_qualified(report, "VARIABLE_CLASSES are classes", tn.VARIABLE_CLASSES, is_class)
    check_qualified(report, "TENSOR_FUNCTIONS are functions", tn.TENSOR_FUNCTIONS, is_function)
    check_qualified(report, "TENSOR_CLASSES are classes", tn.TENSOR_CLASSES, is_class)
    check_qualified(report, "TENSOR_ANNOTATIONS are classes", tn.TENSOR_ANNOTATIONS, is_class)
    check_qualified(report, "COPY_FUNCTIONS are functions", tn.COPY_FUNCTIONS, is_function)
    check_documented_returns(report)
    check_methods(report)
    check_distributions(report)
    check_discardable(report)
    if not options.no_layers:
        check_layer_state(report)
        check_module_holds(report)
    status = report.print()
    if options.candidates:
        candidates()
    return status


if __name__ == "__main__":
    sys.exit(main())
