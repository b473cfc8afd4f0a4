"""What the tool knows about PyTorch, as data.

Every fact about torch names lives here: which calls make tensors, which tensor methods keep a
tensor, which classes are Modules, Parameters or buffers.  Names are fully qualified
(``torch.zeros``), the way :mod:`flake8_param_check.imports` resolves them.  Nothing here imports
torch.
"""

from __future__ import annotations

import re

# --- Module classes -----------------------------------------------------------------------------

#: Qualified names of classes outside ``torch.nn`` that are ``nn.Module`` subclasses.
MODULE_BASES: frozenset[str] = frozenset(
    {
        "torch.nn.Module",
        "torch.nn.modules.module.Module",
        "torch.nn.modules.Module",
        "torch.jit.ScriptModule",
        "torch.jit.RecursiveScriptModule",
        "torch.jit._script.ScriptModule",
        "torch.nn.parallel.DistributedDataParallel",
        "torch.nn.parallel.DataParallel",
        "torch.ao.quantization.QuantStub",
        "torch.ao.quantization.DeQuantStub",
        # Lightning
        "pytorch_lightning.LightningModule",
        "pytorch_lightning.core.LightningModule",
        "pytorch_lightning.core.module.LightningModule",
        "pytorch_lightning.core.lightning.LightningModule",
        "lightning.LightningModule",
        "lightning.pytorch.LightningModule",
        "lightning.pytorch.core.LightningModule",
        "lightning.pytorch.core.module.LightningModule",
        # Libraries whose base classes subclass nn.Module (checked against their sources).
        "transformers.PreTrainedModel",
        "transformers.modeling_utils.PreTrainedModel",
        "torchmetrics.Metric",
        "torchmetrics.metric.Metric",
        "torch_geometric.nn.MessagePassing",
        "torch_geometric.nn.conv.MessagePassing",
        "torch_geometric.nn.conv.message_passing.MessagePassing",
    }
)

#: Capitalised names under ``torch.nn`` that are *not* Module classes.
NN_NON_MODULES: frozenset[str] = frozenset(
    {
        "Parameter",
        "Buffer",
        "UninitializedParameter",
        "UninitializedBuffer",
        "UninitializedTensorMixin",
        "Module",  # handled by MODULE_BASES, listed so the rule below stays simple
    }
)

#: Packages under ``torch.nn`` whose capitalised names are not Modules.
NN_NON_MODULE_PACKAGES: tuple[str, ...] = (
    "torch.nn.functional.",
    "torch.nn.init.",
    "torch.nn.utils.",
    "torch.nn.attention.",
    "torch.nn.parameter.",
)

#: Top-level packages whose names are known without reading their source: a name imported from
#: them is never looked up in the project, even when a checkout of the package lies beside it.
KNOWN_LIBRARY_ROOTS: frozenset[str] = frozenset(
    {"torch", "numpy", "math", "typing", "collections", "copy", "functools"}
)

#: Words without which a file can define a Module only through a base class from another file
#: (see ``Settings.mentions_torch``): torch itself and the libraries whose bases are built in.
TORCH_WORDS: tuple[str, ...] = ("torch", "lightning", "transformers", "torchmetrics")

#: Attributes that a framework documents as plain tensors: never a finding.
DOCUMENTED_PLAIN_ATTRIBUTES: frozenset[str] = frozenset({"example_input_array"})


def is_torch_module_class(qualname: str) -> bool:
    """True when ``qualname`` names an ``nn.Module`` subclass that torch or a known library ships."""
    if qualname in MODULE_BASES:
        return True
    if not qualname.startswith("torch.nn."):
        return False
    if qualname.startswith(NN_NON_MODULE_PACKAGES):
        return False
    last = qualname.rsplit(".", 1)[1]
    # ``_Loss``, ``_BatchNorm``, ``_ConvNd``: torch's private bases are Modules too.
    return last.lstrip("_")[:1].isupper() and last not in NN_NON_MODULES


# --- Parameters and buffers ---------------------------------------------------------------------

PARAMETER_CLASSES: frozenset[str] = frozenset(
    {
        "torch.nn.Parameter",
        "torch.nn.parameter.Parameter",
        "torch.nn.UninitializedParameter",
        "torch.nn.parameter.UninitializedParameter",
    }
)

BUFFER_CLASSES: frozenset[str] = frozenset(
    {
        "torch.nn.Buffer",
        "torch.nn.parameter.Buffer",
        "torch.nn.UninitializedBuffer",
        "torch.nn.parameter.UninitializedBuffer",
    }
)

#: ``torch.autograd.Variable(x, requires_grad=...)``: a plain tensor today.
VARIABLE_CLASSES: frozenset[str] = frozenset(
    {"torch.autograd.Variable", "torch.autograd.variable.Variable"}
)

#: ``self.<method>(name, ...)`` calls that register ``name`` on the Module.
REGISTER_BUFFER_METHODS: frozenset[str] = frozenset({"register_buffer"})
REGISTER_PARAMETER_METHODS: frozenset[str] = frozenset({"register_parameter"})
REGISTER_MODULE_METHODS: frozenset[str] = frozenset({"add_module", "register_module"})
#: torchmetrics' ``Metric.add_state`` keeps the state itself: treat it as registering.
REGISTER_STATE_METHODS: frozenset[str] = frozenset({"add_state"})
#: Every ``self.<method>(name, value)`` that registers ``name``.
REGISTER_METHODS: frozenset[str] = (
    REGISTER_BUFFER_METHODS | REGISTER_PARAMETER_METHODS | REGISTER_MODULE_METHODS | REGISTER_STATE_METHODS
)
#: Keywords under which those methods take the value (``register_buffer(name, tensor=...)``).
REGISTER_VALUE_KEYWORDS: frozenset[str] = frozenset({"tensor", "param", "module", "default", "value"})
#: The keyword that names the attribute (``register_buffer(name=...)``).
REGISTER_NAME_KEYWORD = "name"
#: ``setattr(self, name, value)`` registers what ``nn.Module.__setattr__`` registers.
SETATTR = "setattr"

#: The keyword and attribute that make a tensor trainable (``torch.ones(3, requires_grad=True)``,
#: ``t.requires_grad = True``, ``t.requires_grad_()``).
REQUIRES_GRAD = "requires_grad"

# --- Tensor-producing functions -----------------------------------------------------------------

_TORCH_FUNCTIONS = """
tensor as_tensor asarray from_numpy from_dlpack frombuffer zeros ones empty full zeros_like
ones_like empty_like full_like rand randn randint randperm rand_like randn_like randint_like
normal bernoulli multinomial poisson arange range linspace logspace eye tril triu tril_indices
triu_indices cat concat concatenate stack hstack vstack dstack column_stack row_stack exp exp2
expm1 log log2 log10 log1p sin cos tan asin acos atan atan2 sinh cosh tanh asinh acosh atanh
sqrt rsqrt square pow abs neg sign sigmoid relu softmax log_softmax clamp clip floor ceil round
trunc frac reciprocal mul add sub div true_divide floor_divide remainder fmod matmul mm bmm
baddbmm addmm einsum outer ger kron cumsum cumprod sum mean prod std var norm logsumexp
where masked_fill gather scatter index_select take flatten reshape view_as_real view_as_complex
unsqueeze squeeze transpose permute t flip fliplr flipud roll rot90 repeat_interleave tile
diag diag_embed diagonal diagflat block_diag cartesian_prod combinations bucketize
searchsorted histc bincount cdist dist polar complex real imag angle conj lerp clone detach
empty_strided sparse_coo_tensor isnan isinf isfinite logical_not logical_and
logical_or logical_xor eq ne lt le gt ge maximum minimum fmax fmin erf erfc erfinv
lgamma digamma sinc deg2rad rad2deg hann_window hamming_window blackman_window bartlett_window
kaiser_window cross tensordot vander argsort argmax argmin count_nonzero
nan_to_num narrow select index_add index_copy index_fill masked_select masked_scatter
""".split()

#: Fully qualified functions that return a tensor.
TENSOR_FUNCTIONS: frozenset[str] = frozenset(
    {f"torch.{name}" for name in _TORCH_FUNCTIONS if not name.endswith("_")}
    | {
        f"torch.nn.functional.{name}"
        for name in """
        relu gelu silu sigmoid tanh softmax log_softmax softplus elu leaky_relu normalize pad
        interpolate one_hot linear conv1d conv2d conv3d dropout layer_norm embedding avg_pool2d
        max_pool2d adaptive_avg_pool2d grid_sample affine_grid unfold fold cosine_similarity
        """.split()
    }
    | {
        f"torch.fft.{name}"
        for name in (
            "fft ifft rfft irfft fft2 ifft2 rfft2 irfft2 fftn ifftn rfftn irfftn fftfreq rfftfreq fftshift "
            "ifftshift"
        ).split()
    }
    | {
        f"torch.linalg.{name}"
        for name in (
            "norm vector_norm matrix_norm inv pinv det matrix_power matrix_exp cholesky solve cross"
        ).split()
    }
    | {"torch.special.erf", "torch.special.expit", "torch.special.logit", "torch.special.gammaln"}
)

#: Functions that split a tensor into a tuple of tensors (``a, b = torch.chunk(t, 2)``).
TENSOR_TUPLE_FUNCTIONS: frozenset[str] = frozenset(
    {
        f"torch.{name}"
        for name in (
            "chunk split unbind tensor_split hsplit vsplit dsplit meshgrid broadcast_tensors "
            "sort topk kthvalue cummax cummin aminmax std_mean var_mean frexp"
        ).split()
    }
    | {f"torch.linalg.{name}" for name in "eig eigh qr svd slogdet lu lu_factor inv_ex cholesky_ex".split()}
)
#: Reductions that give one tensor without a ``dim``, and a tuple (values, indices) with one
#: (``torch.max(t)`` / ``torch.max(t, dim=1)``); with another tensor, ``max``/``min`` compare.
DIM_TUPLE_FUNCTIONS: frozenset[str] = frozenset(
    f"torch.{name}" for name in "max min median mode".split()
)
#: The tensor methods of the same two families (``t.chunk(2)``, ``t.max(1)``).
TENSOR_TUPLE_METHODS: frozenset[str] = frozenset(
    "chunk split unbind tensor_split hsplit vsplit dsplit sort topk kthvalue cummax cummin aminmax "
    "frexp".split()
)
DIM_TUPLE_METHODS: frozenset[str] = frozenset("max min median mode".split())
#: The keyword that selects a dimension.
DIM_KEYWORD = "dim"

#: ``functools.partial(f, ...)``: a callable that calls ``f``.
PARTIAL_FUNCTIONS: frozenset[str] = frozenset({"functools.partial"})

#: Factories whose result is float32 when no ``dtype`` is given (torch's default dtype), and the
#: names of that dtype: ``nn.Parameter(torch.ones(3)).float()`` is the Parameter itself.
FLOAT32_FACTORIES: frozenset[str] = frozenset(
    f"torch.{name}" for name in "zeros ones empty rand randn eye linspace logspace normal".split()
)
FLOAT32_DTYPES: frozenset[str] = frozenset({"torch.float32", "torch.float"})
#: Conversions that give the tensor itself when it already is float32.
FLOAT32_CONVERSIONS: frozenset[str] = frozenset({"float"})

#: Legacy tensor classes: calling one makes a tensor.
TENSOR_CLASSES: frozenset[str] = frozenset(
    {
        f"{prefix}.{name}"
        for prefix in ("torch", "torch.cuda")
        for name in (
            "Tensor FloatTensor DoubleTensor HalfTensor BFloat16Tensor ByteTensor CharTensor "
            "ShortTensor IntTensor LongTensor BoolTensor"
        ).split()
    }
)

#: Annotations that mean "this argument or return value is a tensor".
TENSOR_ANNOTATIONS: frozenset[str] = frozenset({"torch.Tensor", "torch.FloatTensor", "torch.LongTensor"})

#: ``nn.init.*_(x)`` returns ``x`` itself.
INIT_PREFIXES: tuple[str, ...] = ("torch.nn.init.",)

# --- Tensor methods -----------------------------------------------------------------------------

#: Methods that turn a tensor into another tensor of another type or device.  On an
#: ``nn.Parameter`` their result is a plain tensor (TPC005).
CONVERSION_METHODS: frozenset[str] = frozenset(
    "to cuda cpu double float half bfloat16 int long short bool byte char type type_as xpu mps".split()
)

#: Methods of a tensor that return a tensor.
TENSOR_METHODS: frozenset[str] = CONVERSION_METHODS | frozenset(
    """
    view view_as reshape reshape_as unsqueeze squeeze clone detach contiguous permute transpose t
    flatten unflatten expand expand_as repeat repeat_interleave tile log log2 log10 log1p exp expm1
    sin cos tan tanh sigmoid sqrt rsqrt abs neg sum mean prod std var norm cumsum cumprod softmax
    log_softmax relu pow mul add sub div matmul mm bmm masked_fill clamp clip round floor ceil sign
    reciprocal new_zeros new_ones new_full new_empty new_tensor pin_memory triu tril diag diagonal
    roll flip narrow index_select gather scatter where float_power square logsumexp erf
    argmax argmin argsort nan_to_num eq ne lt le gt ge logical_not to_dense to_sparse
    requires_grad_ detach_ fill_ zero_ normal_ uniform_ copy_ mul_ add_ sub_ div_ clamp_ exp_
    log_ sqrt_ masked_fill_ unsqueeze_ squeeze_ t_ transpose_ share_memory_
    real imag conj angle outer
    """.split()
)

#: Properties of a tensor that are tensors.
TENSOR_PROPERTIES: frozenset[str] = frozenset({"T", "mT", "H", "mH", "data", "real", "imag"})

#: In-place methods (``x.mul_(2)``) return the tensor itself, so a Parameter stays a Parameter.
#: Functions that give a copy of their first argument: a tensor for a tensor, a Module for a Module.
COPY_FUNCTIONS: frozenset[str] = frozenset({"copy.deepcopy", "copy.copy"})


def is_inplace_method(name: str) -> bool:
    return name.endswith("_") and not name.endswith("__")


def method_may_give_tensor(name: str) -> bool:
    """Whether a tensor's method ``name`` may give a tensor: in-place methods give the tensor
    itself; ``numel()``, ``size()``, ``item()`` and the rest give no tensor."""
    return name in TENSOR_METHODS or name in ("requires_grad_", "detach") or is_inplace_method(name)


#: The ``nn.Module`` method that ``.to()``, ``.cuda()``, ``.half()``... call with a function to
#: apply to each tensor: an override that applies it to an attribute moves that attribute too.
APPLY_METHOD = "_apply"

#: Methods of a Module that return the Module itself.
MODULE_SELF_METHODS: frozenset[str] = frozenset(
    "to cuda cpu xpu float double half bfloat16 train eval requires_grad_ apply type share_memory "
    "to_empty".split()
)


#: Names that concrete torch.nn layers register themselves (``nn.Linear.weight``,
#: ``nn.BatchNorm2d.running_mean``): a subclass assigning one updates it.
def is_torch_layer_state(name: str) -> bool:
    return _LAYER_STATE.match(name) is not None


_LAYER_STATE = re.compile(
    r"(?:weight|bias)(?:_(?:ih|hh|hr)_l\d+(?:_reverse)?)?\Z"  # Linear, Conv, norms; RNN/LSTM/GRU
    r"|(?:running_mean|running_var|num_batches_tracked)\Z"  # batch and instance norms
    r"|(?:in_proj_weight|in_proj_bias|[qkv]_proj_weight|bias_k|bias_v)\Z"  # MultiheadAttention
)


def _last_names(qualnames: frozenset[str]) -> frozenset[str]:
    return frozenset(name.rpartition(".")[2] for name in qualnames)


def _words(words: set[str] | frozenset[str]) -> tuple[str, ...]:
    """The words a substring search needs: one that contains another is found through it."""
    return tuple(sorted(w for w in words if not any(o != w and o in w for o in words)))


# --- Words: what a cheap text search looks for ----------------------------------------------------

#: Outside the init scope only a trainable raw tensor (TPC002) or a converted Parameter (TPC005)
#: is reported, and a method can make either only by writing one of these words.
TRAINABLE_WORDS: tuple[str, ...] = _words(
    {REQUIRES_GRAD} | _last_names(PARAMETER_CLASSES) | _last_names(VARIABLE_CLASSES)
)

#: A class that never writes one of these words sets no tensor state that a subclass could read
#: as registered (``self.<attr>`` holding a Parameter or a buffer).
STATE_WORDS: tuple[str, ...] = _words(
    REGISTER_METHODS
    | {SETATTR, REQUIRES_GRAD}
    | _last_names(PARAMETER_CLASSES)
    | _last_names(BUFFER_CLASSES)
    | {"register_"}  # any register_* method, kept wide on purpose
)

#: Words in an annotation that may name a tensor or a Parameter (``Tensor``, ``nn.Parameter``,
#: ``Optional["torch.FloatTensor"]``): the cheap stand-in for resolving the annotation.
ANNOTATION_WORDS: tuple[str, ...] = _words(_last_names(TENSOR_ANNOTATIONS) | _last_names(PARAMETER_CLASSES))
