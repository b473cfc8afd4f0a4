"""The facts about torch names (flake8_param_check.torch_names), and a check against the libraries'
own sources that the built-in library base classes really are nn.Module subclasses."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from flake8_param_check import torch_names as tn
from flake8_param_check.imports import dotted_name
from flake8_param_check.analysis import analyze

# -- Module classes ---------------------------------------------------------------------------

MODULE_CLASSES = [
    "torch.nn.Module",
    "torch.nn.modules.module.Module",
    "torch.nn.Linear",
    "torch.nn.modules.linear.Linear",
    "torch.nn.Conv2d",
    "torch.nn.BatchNorm1d",
    "torch.nn.LSTM",
    "torch.nn.MultiheadAttention",
    "torch.nn.Sequential",
    "torch.nn.ModuleList",
    "torch.nn.ModuleDict",
    "torch.nn.ParameterList",
    "torch.nn.ParameterDict",
    "torch.nn.Identity",
    "torch.nn.GELU",
    "torch.nn.qat.Linear",
    "torch.nn.utils.parametrize.ParametrizationList",
    "torch.jit.ScriptModule",
    "torch.nn.parallel.DistributedDataParallel",
    "torch.nn.parallel.DataParallel",
    "torch.ao.quantization.QuantStub",
    "pytorch_lightning.LightningModule",
    "pytorch_lightning.core.LightningModule",
    "lightning.LightningModule",
    "lightning.pytorch.LightningModule",
    "lightning.pytorch.core.module.LightningModule",
    "transformers.PreTrainedModel",
    "transformers.modeling_utils.PreTrainedModel",
    "torchmetrics.Metric",
    "torchmetrics.metric.Metric",
    "torch_geometric.nn.MessagePassing",
    "torch_geometric.nn.conv.MessagePassing",
    "torch_geometric.nn.conv.message_passing.MessagePassing",
]

NOT_MODULE_CLASSES = [
    "torch.nn.Parameter",
    "torch.nn.parameter.Parameter",
    "torch.nn.Buffer",
    "torch.nn.parameter.Buffer",
    "torch.nn.UninitializedParameter",
    "torch.nn.UninitializedBuffer",
    "torch.nn.UninitializedTensorMixin",
    "torch.nn.parameter.UninitializedTensorMixin",
    "torch.nn.modules.lazy.LazyModuleMixin",
    "torch.nn.LinearCrossEntropyOptions",
    "torch.nn.cpp.OrderedDictWrapper",
    "torch.nn.functional.relu",
    "torch.nn.functional.F",
    "torch.nn.functional",
    "torch.nn.init.xavier_uniform_",
    "torch.nn.init.Something",
    "torch.nn.utils.rnn.PackedSequence",
    "torch.nn.utils.clip_grad_norm_",
    "torch.nn.attention.SDPBackend",
    "torch.nn.modules",
    "torch.nn",
    "torch.nn.linear",
    "torch.Tensor",
    "torch.Size",
    "torch.device",
    "torch.jit.script",
    "torch.optim.Adam",
    "torch.utils.data.Dataset",
    "torchvision.datasets.MNIST",
    "pytorch_lightning.LightningDataModule",
    "pytorch_lightning.Trainer",
    "lightning.Trainer",
    "lightning.pytorch.LightningDataModule",
    "transformers.PretrainedConfig",
    "transformers.AutoModel",
    "transformers.TFPreTrainedModel",
    "transformers.FlaxPreTrainedModel",
    "torch_geometric.data.Data",
    "torchmetrics.functional.accuracy",
    "mylib.nn.Linear",
    "Module",
    "nn.Module",
    "",
]


@pytest.mark.parametrize("name", MODULE_CLASSES)
def test_module_classes(name: str) -> None:
    assert tn.is_torch_module_class(name)


@pytest.mark.parametrize("name", NOT_MODULE_CLASSES)
def test_not_module_classes(name: str) -> None:
    assert not tn.is_torch_module_class(name)


def test_module_bases_are_qualified_and_not_tensor_classes() -> None:
    for name in tn.MODULE_BASES:
        assert "." in name and name == name.strip()
        assert name not in tn.PARAMETER_CLASSES | tn.BUFFER_CLASSES | tn.TENSOR_CLASSES
    for name in tn.PARAMETER_CLASSES | tn.BUFFER_CLASSES | tn.VARIABLE_CLASSES:
        assert not tn.is_torch_module_class(name), name


def test_private_torch_module_bases() -> None:
    for name in (
        "torch.nn.modules.loss._Loss",
        "torch.nn.modules.loss._WeightedLoss",
        "torch.nn.modules.batchnorm._BatchNorm",
        "torch.nn.modules.batchnorm._NormBase",
        "torch.nn.modules.conv._ConvNd",
    ):
        assert tn.is_torch_module_class(name), name
    source = (
        "import torch\n"
        "from torch.nn.modules.loss import _Loss\n\n\n"
        "class FocalLoss(_Loss):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.alpha = torch.tensor([0.25, 0.75])\n"
    )
    assert [(f.line, f.code) for f in analyze(source).findings] == [(8, "TPC001")]


def test_module_through_torch_nn_modules() -> None:
    assert tn.is_torch_module_class("torch.nn.modules.Module")
    source = (
        "import torch\n"
        "from torch.nn.modules import Module\n\n\n"
        "class M(Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.pe = torch.zeros(3)\n"
    )
    assert [(f.line, f.code) for f in analyze(source).findings] == [(8, "TPC001")]


# -- Parameters and buffers -------------------------------------------------------------------


def test_parameter_and_buffer_classes() -> None:
    assert {"torch.nn.Parameter", "torch.nn.parameter.Parameter"} <= tn.PARAMETER_CLASSES
    assert {"torch.nn.Buffer", "torch.nn.parameter.Buffer"} <= tn.BUFFER_CLASSES
    assert not tn.PARAMETER_CLASSES & tn.BUFFER_CLASSES
    assert "register_buffer" in tn.REGISTER_BUFFER_METHODS
    assert "register_parameter" in tn.REGISTER_PARAMETER_METHODS
    assert {"add_module", "register_module"} <= tn.REGISTER_MODULE_METHODS
    methods = [tn.REGISTER_BUFFER_METHODS, tn.REGISTER_PARAMETER_METHODS, tn.REGISTER_MODULE_METHODS,
               tn.REGISTER_STATE_METHODS]
    assert sum(len(m) for m in methods) == len(frozenset().union(*methods))


# -- tensor functions -------------------------------------------------------------------------

TENSOR_FUNCTIONS = [
    "torch.zeros", "torch.ones", "torch.empty", "torch.full", "torch.tensor", "torch.as_tensor",
    "torch.from_numpy", "torch.arange", "torch.linspace", "torch.eye", "torch.randn", "torch.rand",
    "torch.cat", "torch.stack", "torch.zeros_like", "torch.einsum", "torch.where", "torch.tril",
    "torch.nn.functional.relu", "torch.nn.functional.one_hot", "torch.nn.functional.pad",
    "torch.fft.rfft", "torch.linalg.inv", "torch.special.expit", "torch.hann_window",
    # from the accuracy issue (#10): one or more of each family
    "torch.sparse_coo_tensor", "torch.sparse_csr_tensor", "torch.clamp_min", "torch.clamp_max", "torch.det",
    "torch.get_rng_state", "torch.view_copy", "torch.take_along_dim", "torch.isin",
    "torch.linalg.vecdot", "torch.linalg.matrix_rank", "torch.linalg.svdvals",
    "torch.linalg.solve_triangular",
    "torch.fft.hfft", "torch.fft.irfftn", "torch.fft.fftshift",
    "torch.special.bessel_j0", "torch.special.logsumexp", "torch.special.xlogy", "torch.special.ndtri",
    "torch.nn.functional.normalize", "torch.nn.functional.cross_entropy", "torch.nn.functional.dropout",
    "torch.nn.functional.scaled_dot_product_attention", "torch.nn.functional.embedding",
    "torch.nn.functional.gumbel_softmax", "torch.nn.functional.rms_norm",
]
NOT_TENSOR_FUNCTIONS = [
    # not tensors at all
    "torch.Size", "torch.device", "torch.finfo", "torch.iinfo", "torch.dtype", "torch.float32",
    "torch.is_tensor", "torch.numel", "torch.manual_seed", "torch.no_grad", "torch.get_default_dtype",
    "torch.is_floating_point", "torch.Generator", "torch.save", "torch.load", "torch.compile",
    # tuples of tensors
    "torch.max", "torch.min", "torch.sort", "torch.topk", "torch.unique", "torch.split", "torch.chunk",
    "torch.unbind", "torch.meshgrid", "torch.broadcast_tensors", "torch.std_mean", "torch.var_mean",
    "torch.linalg.eigh", "torch.linalg.qr", "torch.linalg.svd", "torch.linalg.slogdet",
    "torch.histogram", "torch.aminmax", "torch.median", "torch.kthvalue", "torch.nonzero", "torch.atleast_1d",
    "torch.linalg.eig", "torch.linalg.lu", "torch.linalg.lu_factor", "torch.linalg.inv_ex",
    "torch.linalg.lstsq",
    "torch.nn.functional.multi_head_attention_forward", "torch.nn.functional.max_pool2d_with_indices",
    # a tuple for some arguments: F.max_pool2d(x, 2, return_indices=True), dequantize([q1, q2])
    "torch.nn.functional.max_pool2d", "torch.nn.functional.adaptive_max_pool1d",
    "torch.nn.functional.fractional_max_pool2d", "torch.dequantize", "torch.quantize_per_tensor",
    # removed from torch: raise
    "torch.matrix_rank", "torch.symeig",
    # in-place
    "torch.relu_", "torch.nn.functional.relu_",
    # in-place: return their argument
    "torch.nn.init.zeros_", "torch.nn.init.xavier_uniform_",
    # Modules and Parameters are not tensors of this table
    "torch.nn.Linear", "torch.nn.Parameter", "torch.nn.Buffer", "torch.Tensor",
    # not torch
    "numpy.zeros", "zeros", "math.sqrt",
]


@pytest.mark.parametrize("name", TENSOR_FUNCTIONS)
def test_tensor_functions(name: str) -> None:
    assert name in tn.TENSOR_FUNCTIONS


@pytest.mark.parametrize("name", NOT_TENSOR_FUNCTIONS)
def test_not_tensor_functions(name: str) -> None:
    assert name not in tn.TENSOR_FUNCTIONS


def test_tensor_function_table_is_well_formed() -> None:
    for name in tn.TENSOR_FUNCTIONS:
        module, _, last = name.rpartition(".")
        assert module in ("torch", "torch.nn.functional", "torch.fft", "torch.linalg", "torch.special"), name
        assert last and last.isidentifier() and not last.endswith("_") and last[0].islower(), name
        assert not tn.is_torch_module_class(name), name
    assert "torch.Tensor" in tn.TENSOR_CLASSES and "torch.cuda.FloatTensor" in tn.TENSOR_CLASSES
    sparse = {"torch.sparse.FloatTensor", "torch.sparse.LongTensor", "torch.cuda.sparse.DoubleTensor"}
    assert sparse <= tn.TENSOR_CLASSES
    absent = {"torch.cuda.Tensor", "torch.sparse.BoolTensor", "torch.cuda.sparse.BoolTensor"}  # not in torch
    assert not absent & tn.TENSOR_CLASSES
    assert not tn.TENSOR_CLASSES & tn.TENSOR_FUNCTIONS
    assert {"torch.Tensor"} <= tn.TENSOR_ANNOTATIONS
    assert all(name.startswith("torch.") for name in tn.TENSOR_ANNOTATIONS | tn.VARIABLE_CLASSES)


# -- tensor methods ---------------------------------------------------------------------------


def test_tensor_methods() -> None:
    assert tn.CONVERSION_METHODS <= tn.TENSOR_METHODS
    assert {"to", "cuda", "cpu", "double", "float", "half"} <= tn.CONVERSION_METHODS
    assert {"view", "reshape", "clone", "detach", "unsqueeze", "new_zeros", "mul_"} <= tn.TENSOR_METHODS
    assert {"clamp_min", "clamp_max", "masked_select", "take_along_dim", "addcmul", "to_sparse_csr",
            "nan_to_num", "swapaxes", "new"} <= tn.TENSOR_METHODS
    assert {"cfloat", "cdouble", "chalf", "ipu", "mtia"} <= tn.CONVERSION_METHODS
    for name in ("item", "tolist", "numpy", "size", "dim", "numel", "max", "min", "sort", "topk", "split",
                 "chunk", "unbind", "shape", "dtype", "device", "is_cuda", "data_ptr", "element_size",
                 "allclose", "equal", "nonzero", "median", "aminmax", "frexp", "tensor_split",
                 # properties, not methods (``x.real()`` fails); torch has no ``Tensor.mps()``
                 "real", "imag", "T", "mps"):
        assert name not in tn.TENSOR_METHODS, name
    assert tn.TENSOR_PROPERTIES == {"T", "mT", "H", "mH", "data", "real", "imag"}
    for name in ("shape", "dtype", "device", "grad_fn", "requires_grad", "ndim"):
        assert name not in tn.TENSOR_PROPERTIES


@pytest.mark.parametrize("name, inplace", [
    ("mul_", True), ("zero_", True), ("requires_grad_", True), ("add", False), ("__init__", False),
    ("__call__", False), ("to", False), ("x", False),
])
def test_is_inplace_method(name: str, inplace: bool) -> None:
    assert tn.is_inplace_method(name) is inplace


def test_module_self_methods() -> None:
    assert {"to", "cuda", "cpu", "train", "eval", "float", "requires_grad_", "apply"} <= tn.MODULE_SELF_METHODS
    for name in ("forward", "parameters", "state_dict", "zero_grad", "register_buffer", "children"):
        assert name not in tn.MODULE_SELF_METHODS


@pytest.mark.parametrize("name", [
    "weight", "bias", "running_mean", "running_var", "num_batches_tracked", "in_proj_weight", "in_proj_bias",
    "weight_ih_l0", "bias_hh_l1_reverse", "weight_hr_l0", "weight_ih", "bias_hh", "pos_weight",
    "_random_samples",
])
def test_torch_layer_state(name: str) -> None:
    assert tn.is_torch_layer_state(name)


@pytest.mark.parametrize("name", ["pe", "mask", "table", "scale", "inv_freq", "w", "running"])
def test_not_torch_layer_state(name: str) -> None:
    assert not tn.is_torch_layer_state(name)


def test_layer_state_prefix_is_not_too_wide() -> None:
    for name in ("weights", "weighting", "bias_mask", "running_total"):
        assert not tn.is_torch_layer_state(name), name
    source = (
        "import torch\n"
        "from torch import nn\n\n\n"
        "class Weighted(nn.Linear):\n"
        "    def __init__(self):\n"
        "        super().__init__(2, 2)\n"
        "        self.weights = torch.ones(2)\n"
    )
    assert [(f.line, f.code) for f in analyze(source).findings] == [(8, "TPC001")]


def test_type_without_arguments_is_a_string() -> None:
    source = (
        "import torch\n"
        "from torch import nn\n\n\n"
        "class M(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.w = nn.Parameter(torch.zeros(3))\n"
        "        x = torch.zeros(3)\n"
        "        self.kind = x.type()\n"
        "        self.w_kind = self.w.type()\n"
        "        self.half = x.type(torch.half)  # a tensor: TPC001\n"
    )
    assert [(f.line, f.code) for f in analyze(source).findings] == [(12, "TPC001")]


# -- the names of the accuracy issue (#10), through the analysis ------------------------------

#: ``self.<attr> = <expression>`` in a Module's ``__init__``: each expression gives a plain tensor.
NEW_NAMES_GIVE_TENSORS = {
    "normalized": "F.normalize(torch.randn(3), dim=0)",
    "onehot": "F.one_hot(torch.arange(3), num_classes=3)",
    "padded": "F.pad(torch.zeros(2, 2), (1, 1))",
    "loss": "F.cross_entropy(torch.randn(2, 3), torch.tensor([0, 1]))",
    "attn": "F.scaled_dot_product_attention(q, q, q)",
    "sparse": "torch.sparse.FloatTensor(i, v, size)",
    "sparse_cuda": "torch.cuda.sparse.LongTensor(i, v, size)",
    "coo": "torch.sparse_coo_tensor(i, v, size)",
    "csr": "torch.sparse_csr_tensor(crow, col, v)",
    "floor": "t.clamp_min(0)",
    "ceiling": "t.clamp_max(1).clamp_min(0)",
    "top": "torch.clamp_max(t, 1)",
    "inv": "torch.linalg.inv(torch.eye(3))",
    "rank": "torch.linalg.matrix_rank(torch.eye(3))",
    "spectrum": "torch.fft.rfft(t)",
    "shifted": "torch.fft.fftshift(torch.fft.fftfreq(8))",
    "bessel": "torch.special.bessel_j0(t)",
    "entropy": "torch.special.entr(t)",
    "det": "torch.det(torch.eye(3))",
    "picked": "t.take_along_dim(torch.zeros(3, dtype=torch.long))",
    "complex": "t.cfloat()",
    "rng": "torch.get_rng_state()",
}


def test_new_names_give_tensors() -> None:
    body = "".join(f"        self.{attr} = {expr}\n" for attr, expr in NEW_NAMES_GIVE_TENSORS.items())
    source = (
        "import torch\n"
        "import torch.nn.functional as F\n"
        "from torch import nn\n\n\n"
        "class M(nn.Module):\n"
        "    def __init__(self, i, v, size, crow, col):\n"
        "        super().__init__()\n"
        "        t = torch.randn(3)\n"
        "        q = torch.randn(1, 2, 4)\n"
        + body
    )
    first = source.count("\n") - len(NEW_NAMES_GIVE_TENSORS) + 1
    expected = [(first + n, "TPC001") for n in range(len(NEW_NAMES_GIVE_TENSORS))]
    assert [(f.line, f.code) for f in analyze(source).findings] == expected


def test_new_names_through_imports() -> None:
    """The names as code imports them: ``from torch.nn.functional import ...``, ``from torch import
    linalg``, ``torch.sparse`` under an alias; a converted Parameter (``.cfloat()``) is TPC005."""
    source = (
        "import torch\n"
        "import torch.sparse as ts\n"
        "from torch import fft, linalg, nn, special\n"
        "from torch.nn.functional import normalize, one_hot\n\n\n"
        "class M(nn.Module):\n"
        "    def __init__(self, i, v):\n"
        "        super().__init__()\n"
        "        self.a = normalize(torch.ones(3), dim=0)\n"
        "        self.b = one_hot(torch.arange(2))\n"
        "        self.c = linalg.vector_norm(torch.ones(3))\n"
        "        self.d = fft.ifft(torch.ones(4))\n"
        "        self.e = special.expit(torch.ones(2))\n"
        "        self.f = ts.DoubleTensor(i, v, (3,))\n"
        "        self.g = nn.Parameter(torch.ones(2)).cfloat()\n"
        "        self.h = nn.Parameter(torch.ones(2)).clamp_min(0)\n"
    )
    expected = [(line, "TPC001") for line in range(10, 16)] + [(16, "TPC005"), (17, "TPC001")]
    # ``.clamp_min(0)`` of a Parameter is a new tensor, reported as ``.view(2)`` of one is.
    assert [(f.line, f.code) for f in analyze(source).findings] == expected


def test_distribution_tables() -> None:
    """Data only: the classes and methods of torch.distributions, for the distribution objects."""
    assert {"torch.distributions.Normal", "torch.distributions.normal.Normal",
            "torch.distributions.Categorical", "torch.distributions.categorical.Categorical",
            "torch.distributions.MultivariateNormal",
            "torch.distributions.relaxed_bernoulli.LogitRelaxedBernoulli"} <= tn.DISTRIBUTION_CLASSES
    # only reachable through its submodule
    assert "torch.distributions.LogitRelaxedBernoulli" not in tn.DISTRIBUTION_CLASSES
    for name in tn.DISTRIBUTION_CLASSES:
        module, _, last = name.rpartition(".")
        assert module.startswith("torch.distributions") and last[:1].isupper(), name
        assert not tn.is_torch_module_class(name) and name not in tn.TENSOR_FUNCTIONS | tn.TENSOR_CLASSES
    assert {"sample", "rsample", "sample_n", "log_prob", "cdf", "icdf", "entropy",
            "perplexity"} <= tn.DISTRIBUTION_TENSOR_METHODS
    assert "expand" not in tn.DISTRIBUTION_TENSOR_METHODS  # a distribution, not a tensor
    assert {"mean", "stddev", "variance"} <= tn.DISTRIBUTION_TENSOR_PROPERTIES


def test_what_a_layer_holds() -> None:
    """Data only (checked against torch by scripts/check_torch_names.py): which torch.nn layers
    hold no Parameter or buffer, which of those have a train/eval behaviour, the containers."""
    from flake8_param_check.effects import Holds, module_holds

    assert tn.MODE_DEPENDENT_MODULES <= tn.PARAMETER_FREE_MODULES
    assert tn.MODULE_SEQUENCES <= tn.CONTAINER_MODULES
    assert not tn.PARAMETER_FREE_MODULES & (tn.LOSS_MODULES | tn.CONTAINER_MODULES)
    expected = {
        "torch.nn.ReLU": Holds.NOTHING, "torch.nn.modules.activation.GELU": Holds.NOTHING,
        "torch.nn.Identity": Holds.NOTHING, "torch.nn.MaxPool2d": Holds.NOTHING,
        "torch.nn.CrossEntropyLoss": Holds.NOTHING, "torch.nn.Module": Holds.NOTHING,
        "torch.nn.Dropout": Holds.MODE, "torch.nn.modules.dropout.Dropout2d": Holds.MODE,
        "torch.nn.RReLU": Holds.MODE,
        "torch.nn.Sequential": Holds.CONTENTS, "torch.nn.ModuleList": Holds.CONTENTS,
        "torch.nn.Linear": Holds.STATE, "torch.nn.BatchNorm2d": Holds.STATE, "torch.nn.LSTM": Holds.STATE,
        "torch.nn.LazyLinear": Holds.STATE, "transformers.PreTrainedModel": Holds.STATE,
    }
    assert {name: module_holds(name) for name in expected} == expected
    assert tn.torch_layer_name("torch.nn.functional.relu") is None
    assert tn.torch_layer_name("torch.nn.modules.linear.Linear") == "Linear"


def test_discardable_methods() -> None:
    """Conversions and copies return a new tensor; in-place methods are not among them."""
    from flake8_param_check.effects import discards
    from flake8_param_check.values import Kind

    assert tn.CONVERSION_METHODS | {"contiguous", "detach", "clone", "pin_memory"} == tn.DISCARDABLE_METHODS
    assert not any(tn.is_inplace_method(name) for name in tn.DISCARDABLE_METHODS)
    for kind in (Kind.TENSOR, Kind.PARAMETER, Kind.BUFFER):
        assert all(discards(kind, name) for name in tn.DISCARDABLE_METHODS)
    assert not discards(Kind.MODULE, "to") and not discards(None, "to")
    assert not discards(Kind.TENSOR, "type", has_args=False)  # the type's name, a str
    assert not discards(Kind.TENSOR, "requires_grad_") and not discards(Kind.TENSOR, "zero_")


# -- the library bases, against the libraries' sources ----------------------------------------

#: The wheel that holds each library package (several packages may come from one wheel).
LIBRARY_WHEELS = {
    "transformers": "transformers",
    "torchmetrics": "torchmetrics",
    "torch_geometric": "torch_geometric",
    "pytorch_lightning": "pytorch-lightning",
    "lightning": "lightning",
}
#: Paths of older releases, kept in MODULE_BASES for code written against them.
LEGACY = {"pytorch_lightning.core.lightning.LightningModule"}
TORCH_MODULE = {"torch.nn.Module", "torch.nn.modules.module.Module"}


class Sources:
    """Python modules of the downloaded wheels, by dotted name, read with ``ast`` only."""

    def __init__(self, wheels: list[Path]) -> None:
        self.files: dict[str, tuple[str, bool]] = {}  # module -> (source, is package)
        for wheel in wheels:
            with zipfile.ZipFile(wheel) as archive:
                for name in archive.namelist():
                    if not name.endswith(".py") or ".dist-info/" in name:
                        continue
                    parts = name[:-3].split("/")
                    package = parts[-1] == "__init__"
                    module = ".".join(parts[:-1] if package else parts)
                    self.files.setdefault(module, (archive.read(name).decode("utf-8", "replace"), package))
        self._trees: dict[str, ast.Module] = {}

    def tree(self, module: str) -> ast.Module | None:
        if module not in self.files:
            return None
        if module not in self._trees:
            self._trees[module] = ast.parse(self.files[module][0])
        return self._trees[module]

    def imports(self, module: str) -> tuple[dict[str, str], list[str]]:
        """Local name -> qualified name for every import of ``module`` (at any depth: lazy
        ``TYPE_CHECKING`` imports count), and the modules it star-imports."""
        tree = self.tree(module)
        assert tree is not None
        source, is_package = self.files[module]
        package = module if is_package else module.rpartition(".")[0]
        names: dict[str, str] = {}
        stars: list[str] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        names.setdefault(alias.asname, alias.name)
                    else:
                        names.setdefault(alias.name.split(".")[0], alias.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                for alias in node.names:
                    if alias.name == "*":
                        stars.append(base)
                    else:
                        names.setdefault(alias.asname or alias.name, f"{base}.{alias.name}")
        return names, stars

    def reaches_module(self, qualname: str, seen: set[str] | None = None) -> bool | None:
        """True when the class ``qualname`` has torch.nn.Module among its ancestors; False when
        its chain is known and does not; None when ``qualname`` cannot be found in the wheels."""
        seen = set() if seen is None else seen
        if qualname in TORCH_MODULE:
            return True
        if qualname in seen:
            return False
        seen.add(qualname)
        module, _, name = qualname.rpartition(".")
        tree = self.tree(module)
        if tree is None:
            return None
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name == name:
                names, _ = self.imports(module)
                answers = []
                for base in node.bases:
                    if isinstance(base, ast.Subscript):
                        base = base.value
                    dotted = _dotted(base)
                    if dotted is None:
                        continue
                    root, dot, rest = dotted.partition(".")
                    target = f"{names[root]}{dot}{rest}" if root in names else f"{module}.{dotted}"
                    answers.append(self.reaches_module(target, seen))
                return any(answers) if any(a is not None for a in answers) else None
        names, stars = self.imports(module)
        if name in names:
            return self.reaches_module(names[name], seen)
        for star in stars:
            found = self.reaches_module(f"{star}.{name}", seen)
            if found is not None:
                return found
        return None


_dotted = dotted_name


@pytest.mark.skipif(not os.environ.get("TPC_CHECK_LIBRARY_BASES"),
                    reason="downloads library wheels; set TPC_CHECK_LIBRARY_BASES=1 to run")
def test_library_bases_are_modules(tmp_path: Path) -> None:
    """Each library name of MODULE_BASES, followed through the library's own source (``ast``
    only, nothing imported), reaches torch.nn.Module."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--quiet",
         "-d", str(tmp_path), *sorted(set(LIBRARY_WHEELS.values()))],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert result.returncode == 0, result.stderr
    wheels = sorted(tmp_path.glob("*.whl"))
    print("wheels:", ", ".join(w.name for w in wheels))
    sources = Sources(wheels)
    names = sorted(n for n in tn.MODULE_BASES if n.split(".")[0] in LIBRARY_WHEELS)
    assert {n.split(".")[0] for n in names} == set(LIBRARY_WHEELS)
    verdicts = {name: sources.reaches_module(name) for name in names}
    for name, verdict in verdicts.items():
        print(f"{name}: {verdict}")
    wrong = {n: v for n, v in verdicts.items() if v is not True and not (n in LEGACY and v is None)}
    assert wrong == {}
