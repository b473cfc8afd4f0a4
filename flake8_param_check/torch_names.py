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
REGISTER_BUFFER = "register_buffer"
REGISTER_BUFFER_METHODS: frozenset[str] = frozenset({REGISTER_BUFFER})
REGISTER_PARAMETER_METHODS: frozenset[str] = frozenset({"register_parameter"})
REGISTER_MODULE_METHODS: frozenset[str] = frozenset({"add_module", "register_module"})
#: torchmetrics' ``Metric.add_state`` keeps the state itself: treat it as registering.
REGISTER_STATE_METHODS: frozenset[str] = frozenset({"add_state"})

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
        for name in "fft ifft rfft irfft fft2 ifft2 rfft2 irfft2 fftn ifftn rfftn irfftn fftfreq rfftfreq fftshift ifftshift".split()
    }
    | {
        f"torch.linalg.{name}"
        for name in "norm vector_norm matrix_norm inv pinv det matrix_power matrix_exp cholesky solve cross".split()
    }
    | {"torch.special.erf", "torch.special.expit", "torch.special.logit", "torch.special.gammaln"}
)

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


# --- What the fixer writes, and what it must respect ------------------------------------------

#: Where a name for ``torch.nn`` comes from: (what an imported name is bound to, the expression
#: made of that name), in order of preference.
NN_SPELLINGS: tuple[tuple[str, str], ...] = (("torch.nn", "{name}"), ("torch", "{name}.nn"))
#: When the file has no name for ``torch.nn``: (the name an import binds, the import line, the
#: expression for ``torch.nn``), in order of preference; the first name is also the one preferred
#: among several names bound to ``torch.nn``.
NN_IMPORTS: tuple[tuple[str, str, str], ...] = (
    ("nn", "from torch import nn", "nn"),
    ("torch", "import torch", "torch.nn"),
)

#: The ``torch.nn`` classes a fix wraps a value in (``nn.Parameter(t)``, ``nn.Buffer(t, ...)``).
NN_PARAMETER = "Parameter"
NN_BUFFER = "Buffer"
#: ``register_buffer(name, t, persistent=False)`` / ``nn.Buffer(t, persistent=False)``: a buffer
#: that stays out of ``state_dict()``, so existing checkpoints still load.
PERSISTENT_KEYWORD = "persistent"
#: ``nn.Parameter``'s keyword for the tensor it wraps.
PARAMETER_DATA_KEYWORD = "data"

#: What makes a tensor require grad: the keyword of factories and ``Variable``, the in-place
#: method and the attribute.
REQUIRES_GRAD_KEYWORD = "requires_grad"
REQUIRES_GRAD_METHOD = "requires_grad_"
REQUIRES_GRAD_ATTRIBUTE = "requires_grad"
#: A tensor's attributes that change whether it requires grad.
GRAD_SWITCHES: frozenset[str] = frozenset({"requires_grad", "requires_grad_", "detach_"})

#: The containers that register what they hold: (for a list or a tuple, for a dict).
MODULE_CONTAINERS: tuple[str, str] = ("ModuleList", "ModuleDict")
PARAMETER_CONTAINERS: tuple[str, str] = ("ParameterList", "ParameterDict")

#: The methods of Python's list and dict (someone calling one on the attribute must still find it).
LIST_METHODS: frozenset[str] = frozenset(
    "append extend insert remove pop clear index count sort reverse copy".split()
)
DICT_METHODS: frozenset[str] = frozenset(
    "clear copy fromkeys get items keys pop popitem setdefault update values".split()
)
#: What each torch container keeps of the Python container's methods.
CONTAINER_METHODS: dict[str, frozenset[str]] = {
    "ModuleList": frozenset({"append", "extend", "insert", "pop"}),
    "ParameterList": frozenset({"append", "extend"}),
    "ModuleDict": frozenset({"clear", "items", "keys", "pop", "update", "values"}),
    "ParameterDict": DICT_METHODS,
}

#: Names an ``nn.Module`` (or a ModuleDict/ParameterDict) already has: ``register_buffer`` and
#: ``add_module`` refuse them ("attribute already exists").
MODULE_ATTRIBUTES: frozenset[str] = frozenset(
    """
    training dump_patches call_super_init forward register_buffer register_parameter add_module
    register_module get_submodule set_submodule get_parameter get_buffer get_extra_state
    set_extra_state apply cuda ipu xpu mtia cpu type float double half bfloat16 to_empty to
    register_full_backward_pre_hook register_backward_hook register_full_backward_hook
    register_forward_pre_hook register_forward_hook register_state_dict_post_hook
    register_state_dict_pre_hook state_dict register_load_state_dict_pre_hook
    register_load_state_dict_post_hook load_state_dict parameters named_parameters buffers
    named_buffers children named_children modules named_modules train eval requires_grad_
    zero_grad share_memory extra_repr compile keys items values update pop clear get setdefault
    popitem copy fromkeys append extend insert
    _parameters _buffers _modules _non_persistent_buffers_set _version _backward_pre_hooks
    _backward_hooks _is_full_backward_hook _forward_hooks _forward_hooks_with_kwargs
    _forward_hooks_always_called _forward_pre_hooks _forward_pre_hooks_with_kwargs
    _state_dict_hooks _state_dict_pre_hooks _load_state_dict_pre_hooks _load_state_dict_post_hooks
    _compiled_call_impl _apply _call_impl _keys _size_limit
    """.split()
)
