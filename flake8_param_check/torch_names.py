"""What the tool knows about PyTorch, as data.

Every fact about torch names lives here: which calls make tensors, which tensor methods keep a
tensor, which classes are Modules, Parameters or buffers.  Names are fully qualified
(``torch.zeros``), the way :mod:`flake8_param_check.imports` resolves them.  Nothing here imports
torch.
"""

from __future__ import annotations

import re

# --- Module classes -----------------------------------------------------------------------------

#: Qualified names of ``nn.Module`` subclasses outside ``torch.nn``, or inside one of its
#: :data:`NN_NON_MODULE_PACKAGES`.
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
        "torch.nn.utils.parametrize.ParametrizationList",
        "torch.nn.utils.parametrizations._Orthogonal",
        "torch.nn.utils.parametrizations._SpectralNorm",
        "torch.nn.utils.parametrizations._WeightNorm",
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
        "LazyModuleMixin",  # a mixin: the Module comes from the other base
        "LinearCrossEntropyOptions",
        "OrderedDictWrapper",  # torch.nn.cpp
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
    {"torch", "numpy", "math", "typing", "collections", "copy", "functools", "itertools"}
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
#
# Each name below returns one Tensor: its torch 2.13 docstring or annotation says so, or, for the
# few undocumented aliases of tensor methods (``torch.clamp_min``, ``torch.relu``), the method's
# does.  ``scripts/check_torch_names.py`` checks them against a real torch.  Left out on purpose:
# functions that return a tuple or a list (``torch.max``/``min``/``median`` with a ``dim``,
# ``sort``, ``topk``, ``unique``, ``nonzero``, ``split``, ``atleast_1d`` of several tensors,
# ``linalg.eigh``/``qr``/``svd``/``slogdet``/``lu``/``*_ex``, ``F.max_pool*``/``adaptive_max_pool*``/
# ``fractional_max_pool*`` (a tuple with ``return_indices=True``), ``F.multi_head_attention_forward``),
# functions that return a list for a list (``quantize_per_tensor``, ``dequantize``), in-place
# functions (``torch.relu_``, ``F.relu_``: they end in ``_``) and undocumented ATen entry points.

#: ``torch.<name>``.
_TORCH_FUNCTIONS = """
abs absolute acos acosh adaptive_avg_pool1d add addbmm addcdiv addcmul addmm addmv addr adjoint
alias_copy all amax amin angle any arange arccos arccosh arcsin arcsinh arctan arctan2 arctanh argmax
argmin argsort argwhere as_strided as_strided_copy as_strided_scatter as_tensor asarray asin asinh atan
atan2 atanh avg_pool1d baddbmm bartlett_window bernoulli bilinear bincount bitwise_and
bitwise_left_shift bitwise_not bitwise_or bitwise_right_shift bitwise_xor blackman_window block_diag bmm
broadcast_to bucketize cartesian_prod cat cdist ceil chain_matmul channel_shuffle cholesky
cholesky_inverse cholesky_solve clamp clamp_max clamp_min clip clone col_indices_copy column_stack
combinations complex concat concatenate conj conj_physical conv1d conv2d conv3d conv_tbc
conv_transpose1d conv_transpose2d conv_transpose3d copysign corrcoef cos cosh cosine_similarity
count_nonzero cov cross crow_indices_copy cumprod cumsum cumulative_trapezoid deg2rad det detach detach_copy
diag diag_embed diagflat diagonal diagonal_copy diagonal_scatter diff digamma dist div divide dot dstack
einsum empty empty_like empty_permuted empty_strided eq erf erfc erfinv exp exp2 expand_copy expm1 eye
fake_quantize_per_channel_affine fake_quantize_per_tensor_affine fix flatten flip fliplr flipud
float_power floor floor_divide fmax fmin fmod frac from_dlpack from_file from_numpy frombuffer full
full_like gather gcd ge ger get_rng_state greater greater_equal gt hamming_window hann_window hardshrink
hash_tensor heaviside histc hspmm hstack hypot i0 igamma igammac imag index_add index_copy index_fill
index_reduce index_select indices_copy inner inverse isclose isfinite isin isinf isnan isneginf isposinf
isreal istft kaiser_window kron lcm ldexp le lerp less less_equal lgamma linspace log log10 log1p log2
log_softmax logaddexp logaddexp2 logcumsumexp logdet logical_and logical_not logical_or logical_xor
logit logspace logsumexp lt lu_solve masked_fill masked_scatter masked_select matmul matrix_exp
matrix_power maximum mean minimum mm moveaxis movedim msort mul multinomial multiply mv mvlgamma
nan_to_num nanmean nanquantile nansum narrow narrow_copy native_channel_shuffle ne neg negative
nextafter nonzero_static norm normal not_equal ones ones_like orgqr ormqr outer pairwise_distance pdist
permute permute_copy pinverse pixel_shuffle pixel_unshuffle poisson polar polygamma positive pow prelu
prod quantile quantize_per_channel quantize_per_tensor_dynamic quantized_batch_norm quantized_max_pool1d
quantized_max_pool2d rad2deg rand rand_like randint randint_like randn randn_like randperm range ravel
real reciprocal relu remainder renorm repeat_interleave reshape resolve_conj resolve_neg roll rot90
round row_stack rsqrt scatter scatter_add scatter_reduce searchsorted segment_reduce select select_copy
select_scatter sgn sigmoid sign signbit sin sinc sinh slice_copy slice_scatter smm softmax
sparse_bsc_tensor sparse_bsr_tensor sparse_compressed_tensor sparse_coo_tensor sparse_csc_tensor
sparse_csr_tensor sqrt square squeeze squeeze_copy sspaddmm stack std stft sub subtract sum swapaxes
swapdims t t_copy take take_along_dim tan tanh tensor tensordot tile trace transpose transpose_copy
trapezoid trapz tril tril_indices triu triu_indices true_divide trunc unflatten unfold_copy unsqueeze
unsqueeze_copy values_copy vander var vdot view_as_complex view_as_complex_copy view_as_real
view_as_real_copy view_copy vstack where xlogy zeros zeros_like
""".split()

#: ``torch.nn.functional.<name>``.
_FUNCTIONAL = """
adaptive_avg_pool1d adaptive_avg_pool2d adaptive_avg_pool3d affine_grid alpha_dropout avg_pool1d
avg_pool2d avg_pool3d batch_norm bilinear binary_cross_entropy binary_cross_entropy_with_logits celu
channel_shuffle conv1d conv2d conv3d conv_tbc conv_transpose1d conv_transpose2d conv_transpose3d
cosine_embedding_loss cosine_similarity cross_entropy ctc_loss dropout dropout1d dropout2d dropout3d
elu embedding embedding_bag feature_alpha_dropout fold gaussian_nll_loss gelu glu grid_sample
group_norm grouped_mm gumbel_softmax hardshrink hardsigmoid hardswish hardtanh hinge_embedding_loss
huber_loss instance_norm interpolate kl_div l1_loss layer_norm leaky_relu linear
linear_cross_entropy local_response_norm log_softmax logsigmoid lp_pool1d lp_pool2d lp_pool3d
margin_ranking_loss max_unpool1d max_unpool2d max_unpool3d mish mse_loss multi_margin_loss
multilabel_margin_loss multilabel_soft_margin_loss native_channel_shuffle nll_loss normalize one_hot
pad pairwise_distance pdist pixel_shuffle pixel_unshuffle poisson_nll_loss prelu relu relu6 rms_norm
rrelu scaled_dot_product_attention scaled_grouped_mm scaled_mm selu sigmoid silu smooth_l1_loss
soft_margin_loss softmax softmin softplus softshrink softsign tanh tanhshrink threshold
triplet_margin_loss triplet_margin_with_distance_loss unfold upsample upsample_bilinear
upsample_nearest
""".split()

#: ``torch.linalg.<name>``.
_LINALG = """
cholesky cond cross det diagonal eigvals eigvalsh householder_product inv ldl_solve lu_solve matmul
matrix_exp matrix_norm matrix_power matrix_rank multi_dot norm pinv solve solve_triangular svdvals
tensorinv tensorsolve vander vecdot vector_norm
""".split()

#: ``torch.fft.<name>``: every function of the module.
_FFT = """
fft fft2 fftfreq fftn fftshift hfft hfft2 hfftn ifft ifft2 ifftn ifftshift ihfft ihfft2 ihfftn irfft
irfft2 irfftn rfft rfft2 rfftfreq rfftn
""".split()

#: ``torch.special.<name>``: every function of the module.
_SPECIAL = """
airy_ai bessel_j0 bessel_j1 bessel_y0 bessel_y1 chebyshev_polynomial_t chebyshev_polynomial_u
chebyshev_polynomial_v chebyshev_polynomial_w digamma entr erf erfc erfcx erfinv exp2 expit expm1
gammainc gammaincc gammaln hermite_polynomial_h hermite_polynomial_he i0 i0e i1 i1e
laguerre_polynomial_l legendre_polynomial_p log1p log_ndtr log_softmax logit logsumexp
modified_bessel_i0 modified_bessel_i1 modified_bessel_k0 modified_bessel_k1 multigammaln ndtr ndtri
polygamma psi round scaled_modified_bessel_k0 scaled_modified_bessel_k1
shifted_chebyshev_polynomial_t shifted_chebyshev_polynomial_u shifted_chebyshev_polynomial_v
shifted_chebyshev_polynomial_w sinc softmax spherical_bessel_j0 xlog1py xlogy zeta
""".split()

#: Fully qualified functions that return a tensor.
TENSOR_FUNCTIONS: frozenset[str] = frozenset(
    {f"torch.{name}" for name in _TORCH_FUNCTIONS}
    | {f"torch.nn.functional.{name}" for name in _FUNCTIONAL}
    | {f"torch.linalg.{name}" for name in _LINALG}
    | {f"torch.fft.{name}" for name in _FFT}
    | {f"torch.special.{name}" for name in _SPECIAL}
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
#: ``itertools.repeat(x, n)``: ``x`` itself, ``n`` times (one object, not ``n`` copies).
REPEAT_FUNCTIONS: frozenset[str] = frozenset({"itertools.repeat"})
#: Its keyword for the count (without a count it repeats for ever).
REPEAT_COUNT_KEYWORD = "times"

#: Factories whose result is float32 when no ``dtype`` is given (torch's default dtype), and the
#: names of that dtype: ``nn.Parameter(torch.ones(3)).float()`` is the Parameter itself.
FLOAT32_FACTORIES: frozenset[str] = frozenset(
    f"torch.{name}" for name in "zeros ones empty rand randn eye linspace logspace normal".split()
)
FLOAT32_DTYPES: frozenset[str] = frozenset({"torch.float32", "torch.float"})
#: Conversions that give the tensor itself when it already is float32.
FLOAT32_CONVERSIONS: frozenset[str] = frozenset({"float"})

_LEGACY_TYPES = (
    "FloatTensor DoubleTensor HalfTensor BFloat16Tensor ByteTensor CharTensor ShortTensor IntTensor "
    "LongTensor"
).split()

#: Legacy tensor classes: calling one makes a tensor (dense, or sparse for ``torch.sparse.*`` and
#: ``torch.cuda.sparse.*``: ``torch.sparse.FloatTensor(indices, values, size)``).
TENSOR_CLASSES: frozenset[str] = frozenset(
    {"torch.Tensor", "torch.BoolTensor", "torch.cuda.BoolTensor"}
    | {
        f"{prefix}.{name}"
        for prefix in ("torch", "torch.cuda", "torch.sparse", "torch.cuda.sparse")
        for name in _LEGACY_TYPES
    }
)

#: Annotations that mean "this argument or return value is a tensor".
TENSOR_ANNOTATIONS: frozenset[str] = frozenset({"torch.Tensor", "torch.FloatTensor", "torch.LongTensor"})

#: ``nn.init.*_(x)`` returns ``x`` itself.
INIT_PREFIXES: tuple[str, ...] = ("torch.nn.init.",)

#: Optimizers and their schedulers: a ``forward`` that builds one trains what it builds (a
#: training routine behind a Module's call), so what it builds there is not lost to the optimizer.
OPTIMIZER_PREFIXES: tuple[str, ...] = ("torch.optim.",)

# --- torch.distributions (data only: not read by the analysis yet) --------------------------------

#: The distribution classes of ``torch.distributions``, by the submodule that defines them.  Each
#: is exported from ``torch.distributions`` itself, except the two marked below.
_DISTRIBUTIONS: dict[str, str] = {
    "bernoulli": "Bernoulli",
    "beta": "Beta",
    "binomial": "Binomial",
    "categorical": "Categorical",
    "cauchy": "Cauchy",
    "chi2": "Chi2",
    "continuous_bernoulli": "ContinuousBernoulli",
    "dirichlet": "Dirichlet",
    "distribution": "Distribution",
    "exp_family": "ExponentialFamily",
    "exponential": "Exponential",
    "fishersnedecor": "FisherSnedecor",
    "gamma": "Gamma",
    "generalized_pareto": "GeneralizedPareto",
    "geometric": "Geometric",
    "gumbel": "Gumbel",
    "half_cauchy": "HalfCauchy",
    "half_normal": "HalfNormal",
    "independent": "Independent",
    "inverse_gamma": "InverseGamma",
    "kumaraswamy": "Kumaraswamy",
    "laplace": "Laplace",
    "lkj_cholesky": "LKJCholesky",
    "log_normal": "LogNormal",
    "logistic_normal": "LogisticNormal",
    "lowrank_multivariate_normal": "LowRankMultivariateNormal",
    "mixture_same_family": "MixtureSameFamily",
    "multinomial": "Multinomial",
    "multivariate_normal": "MultivariateNormal",
    "negative_binomial": "NegativeBinomial",
    "normal": "Normal",
    "one_hot_categorical": "OneHotCategorical OneHotCategoricalStraightThrough",
    "pareto": "Pareto",
    "poisson": "Poisson",
    "relaxed_bernoulli": "RelaxedBernoulli LogitRelaxedBernoulli",
    "relaxed_categorical": "RelaxedOneHotCategorical ExpRelaxedCategorical",
    "studentT": "StudentT",
    "transformed_distribution": "TransformedDistribution",
    "uniform": "Uniform",
    "von_mises": "VonMises",
    "weibull": "Weibull",
    "wishart": "Wishart",
}
#: Only reachable through their submodule.
_UNEXPORTED_DISTRIBUTIONS: frozenset[str] = frozenset({"LogitRelaxedBernoulli", "ExpRelaxedCategorical"})

#: Qualified names of the ``torch.distributions`` classes (``torch.distributions.Normal``,
#: ``torch.distributions.normal.Normal``).
DISTRIBUTION_CLASSES: frozenset[str] = frozenset(
    {
        f"torch.distributions.{module}.{name}"
        for module, names in _DISTRIBUTIONS.items()
        for name in names.split()
    }
    | {
        f"torch.distributions.{name}"
        for names in _DISTRIBUTIONS.values()
        for name in names.split()
        if name not in _UNEXPORTED_DISTRIBUTIONS
    }
)

#: Methods of a distribution object that return a tensor (``Normal(0, 1).sample()``).
DISTRIBUTION_TENSOR_METHODS: frozenset[str] = frozenset(
    "sample rsample sample_n log_prob cdf icdf entropy perplexity enumerate_support".split()
)

#: Properties of a distribution object that are tensors (``Normal(0, 1).mean``).
DISTRIBUTION_TENSOR_PROPERTIES: frozenset[str] = frozenset("mean mode variance stddev".split())

# --- Tensor methods -----------------------------------------------------------------------------

#: Methods that turn a tensor into another tensor of another type or device.  On an
#: ``nn.Parameter`` their result is a plain tensor (TPC005).
CONVERSION_METHODS: frozenset[str] = frozenset(
    """
    to cuda cpu xpu ipu mtia double float half bfloat16 int long short bool byte char cfloat cdouble chalf
    type type_as
    """.split()
)

#: Methods of a tensor that return a tensor: each is documented (torch 2.13) to return one Tensor;
#: ``new`` is the legacy constructor (``x.new(3)``).  Left out: methods that return a tuple or a
#: list (``max``/``min``/``median`` with a ``dim``, ``sort``, ``topk``, ``split``, ``chunk``,
#: ``unbind``, ``nonzero`` with ``as_tuple``), a Python value (``item``, ``tolist``, ``allclose``,
#: ``equal``) and properties (``real``, ``imag``: :data:`TENSOR_PROPERTIES`).
TENSOR_METHODS: frozenset[str] = CONVERSION_METHODS | frozenset(
    """
    abs absolute acos acosh add addbmm addcdiv addcmul addmm addmv addr adjoint all amax amin angle
    any arccos arccosh arcsin arcsinh arctan arctan2 arctanh argmax argmin argsort argwhere
    as_strided as_strided_scatter as_subclass asin asinh atan atan2 atanh baddbmm bernoulli bincount
    bitwise_and bitwise_left_shift bitwise_not bitwise_or bitwise_right_shift bitwise_xor bmm
    broadcast_to ccol_indices ceil cholesky cholesky_inverse cholesky_solve clamp clamp_max
    clamp_min clip clone coalesce col_indices conj conj_physical contiguous copysign corrcoef cos
    cosh count_nonzero cov cross crow_indices cumprod cumsum deg2rad dequantize det detach diag
    diag_embed diagflat diagonal diagonal_scatter diff digamma dist div divide dot eq erf erfc
    erfinv exp exp2 expand expand_as expm1 fix flatten flip fliplr flipud float_power floor
    floor_divide fmax fmin fmod frac gather gcd ge ger greater greater_equal gt hardshrink
    hash_tensor heaviside histc hypot i0 igamma igammac index_add index_copy index_fill index_put
    index_reduce index_select indices inner int_repr inverse isclose isfinite isinf isnan isneginf
    isposinf isreal istft kron lcm ldexp le lerp less less_equal lgamma log log10 log1p log2
    log_softmax logaddexp logaddexp2 logcumsumexp logdet logical_and logical_not logical_or
    logical_xor logit logsumexp lt lu_solve masked_fill masked_scatter masked_select matmul
    matrix_exp matrix_power maximum mean minimum mm moveaxis movedim msort mul multinomial multiply
    mv mvlgamma nan_to_num nanmean nanquantile nansum narrow narrow_copy ne neg negative new
    new_empty new_empty_strided new_full new_ones new_tensor new_zeros nextafter nonzero_static norm
    not_equal orgqr ormqr outer permute pin_memory pinverse polygamma positive pow prelu prod put
    q_per_channel_scales q_per_channel_zero_points quantile rad2deg ravel reciprocal relu remainder
    renorm repeat repeat_interleave reshape reshape_as resolve_conj resolve_neg roll rot90 round
    row_indices rsqrt scatter scatter_add scatter_reduce select select_scatter sgn sigmoid sign
    signbit sin sinc sinh slice_scatter smm softmax sparse_mask sqrt square squeeze sspaddmm std
    stft sub subtract sum sum_to_size swapaxes swapdims t take take_along_dim tan tanh tile to_dense
    to_mkldnn to_padded_tensor to_sparse to_sparse_bsc to_sparse_bsr to_sparse_coo to_sparse_csc
    to_sparse_csr trace transpose tril triu true_divide trunc unflatten unfold unsqueeze values var
    vdot view view_as where xlogy
    add_ clamp_ copy_ detach_ div_ exp_ fill_ log_ masked_fill_ mul_ normal_ requires_grad_
    share_memory_ sqrt_ squeeze_ sub_ t_ transpose_ uniform_ unsqueeze_ zero_
    """.split()
)

#: Properties of a tensor that are tensors.
TENSOR_PROPERTIES: frozenset[str] = frozenset({"T", "mT", "H", "mH", "data", "real", "imag"})

#: In-place methods (``x.mul_(2)``) return the tensor itself, so a Parameter stays a Parameter.
#: Functions that give a copy of their first argument: a tensor for a tensor, a Module for a Module.
COPY_FUNCTIONS: frozenset[str] = frozenset({"copy.deepcopy", "copy.copy"})
#: The copy a fix writes to give each entry of a list an object of its own.
DEEPCOPY = "copy.deepcopy"


def is_inplace_method(name: str) -> bool:
    return name.endswith("_") and not name.endswith("__")


def method_may_give_tensor(name: str) -> bool:
    """Whether a tensor's method ``name`` may give a tensor: in-place methods give the tensor
    itself; ``numel()``, ``size()``, ``item()`` and the rest give no tensor."""
    return name in TENSOR_METHODS or name in ("requires_grad_", "detach") or is_inplace_method(name)


#: The ``nn.Module`` method that ``.to()``, ``.cuda()``, ``.half()``... call with a function to
#: apply to each tensor: an override that applies it to an attribute moves that attribute too.
APPLY_METHOD = "_apply"

#: The method a Module's call runs: what it builds is built again on every call.
FORWARD_METHOD = "forward"

#: Methods of a Module that return the Module itself.
MODULE_SELF_METHODS: frozenset[str] = frozenset(
    "to cuda cpu xpu float double half bfloat16 train eval requires_grad_ apply type share_memory "
    "to_empty".split()
)


# --- What a torch.nn layer holds -----------------------------------------------------------------
#
# Built with its defaults, every ``torch.nn`` layer below holds no Parameter and no buffer
# (``scripts/check_torch_names.py`` builds each and counts).  Any other ``torch.nn`` Module class
# is taken to hold state of its own.  Names are the last part of the qualified name, which may be
# ``torch.nn.ReLU`` or ``torch.nn.modules.activation.ReLU``.

#: Activations, pooling, padding, reshaping, dropout and distance layers: no Parameter, no buffer.
PARAMETER_FREE_MODULES: frozenset[str] = frozenset(
    """
    AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveAvgPool3d AdaptiveMaxPool1d AdaptiveMaxPool2d
    AdaptiveMaxPool3d AlphaDropout AvgPool1d AvgPool2d AvgPool3d CELU ChannelShuffle CircularPad1d
    CircularPad2d CircularPad3d ConstantPad1d ConstantPad2d ConstantPad3d CosineSimilarity
    CrossMapLRN2d Dropout Dropout1d Dropout2d Dropout3d ELU FeatureAlphaDropout Flatten Fold
    FractionalMaxPool2d FractionalMaxPool3d GELU GLU Hardshrink Hardsigmoid Hardswish Hardtanh
    Identity LPPool1d LPPool2d LPPool3d LeakyReLU LocalResponseNorm LogSigmoid LogSoftmax
    MaxPool1d MaxPool2d MaxPool3d MaxUnpool1d MaxUnpool2d MaxUnpool3d Mish PairwiseDistance
    PixelShuffle PixelUnshuffle RReLU ReLU ReLU6 ReflectionPad1d ReflectionPad2d ReflectionPad3d
    ReplicationPad1d ReplicationPad2d ReplicationPad3d SELU SiLU Sigmoid Softmax Softmax2d Softmin
    Softplus Softshrink Softsign Tanh Tanhshrink Threshold Unflatten Unfold Upsample
    UpsamplingBilinear2d UpsamplingNearest2d ZeroPad1d ZeroPad2d ZeroPad3d
    """.split()
)
#: Losses (subclasses of ``nn.modules.loss._Loss``) without a Parameter: the class weights some
#: are given (``CrossEntropyLoss(weight=w)``) are constant buffers, nothing to train or share.
LOSS_MODULES: frozenset[str] = frozenset(
    """
    BCELoss BCEWithLogitsLoss CTCLoss CosineEmbeddingLoss CrossEntropyLoss GaussianNLLLoss
    HingeEmbeddingLoss HuberLoss KLDivLoss L1Loss MSELoss MarginRankingLoss MultiLabelMarginLoss
    MultiLabelSoftMarginLoss MultiMarginLoss NLLLoss NLLLoss2d PoissonNLLLoss SmoothL1Loss
    SoftMarginLoss TripletMarginLoss TripletMarginWithDistanceLoss
    """.split()
)
#: Of the layers above, those that behave differently in training and in evaluation (their
#: ``forward`` reads ``self.training``): ``model.eval()`` must reach them.
MODE_DEPENDENT_MODULES: frozenset[str] = frozenset(
    "AlphaDropout Dropout Dropout1d Dropout2d Dropout3d FeatureAlphaDropout RReLU".split()
)
#: Containers: they hold the Modules or Parameters they are given, and nothing of their own.
CONTAINER_MODULES: frozenset[str] = frozenset(
    "Container ModuleDict ModuleList ParameterDict ParameterList Sequential".split()
)
#: Norm layers whose state their keywords decide: each keyword with its default.  Such a layer
#: holds Parameters or buffers when one of them is true (``nn.InstanceNorm2d(c)`` holds none,
#: ``nn.LayerNorm(d, elementwise_affine=False)`` none either); the arguments before them are
#: the layer's required ones, :data:`STATE_KEYWORDS_AFTER` of them.
STATE_KEYWORDS: dict[str, dict[str, bool]] = {
    **{name: {"elementwise_affine": True} for name in ("LayerNorm", "RMSNorm")},
    "GroupNorm": {"affine": True},
    **{f"BatchNorm{n}d": {"affine": True, "track_running_stats": True} for n in (1, 2, 3)},
    "SyncBatchNorm": {"affine": True, "track_running_stats": True},
    **{f"InstanceNorm{n}d": {"affine": False, "track_running_stats": False} for n in (1, 2, 3)},
}
#: How many positional arguments come before those keywords (``GroupNorm(groups, channels)``).
STATE_KEYWORDS_AFTER: dict[str, int] = {"GroupNorm": 2}
#: The containers that hold a sequence of Modules (``nn.ModuleList(xs)``, ``nn.Sequential(*xs)``).
MODULE_SEQUENCES: frozenset[str] = frozenset({"ModuleList", "Sequential"})
#: Base classes that hold nothing themselves (``nn.Module()``).
EMPTY_MODULE_BASES: frozenset[str] = frozenset({"Module"})


def torch_layer_name(qualname: str) -> str | None:
    """``ReLU`` for ``torch.nn.ReLU`` or ``torch.nn.modules.activation.ReLU``; ``None`` for a
    name that is not a ``torch.nn`` Module class."""
    if not qualname.startswith("torch.nn.") or not is_torch_module_class(qualname):
        return None
    return qualname.rpartition(".")[2]


#: Tensor methods that return a new tensor and change nothing in place (conversions, copies,
#: ``contiguous``): as an expression statement their result is lost and nothing happens.
DISCARDABLE_METHODS: frozenset[str] = CONVERSION_METHODS | frozenset(
    {"contiguous", "detach", "clone", "pin_memory"}
)


#: Names that concrete torch.nn layers register themselves (``nn.Linear.weight``,
#: ``nn.BatchNorm2d.running_mean``): a subclass assigning one updates it.
def is_torch_layer_state(name: str) -> bool:
    return _LAYER_STATE.match(name) is not None


_LAYER_STATE = re.compile(
    r"(?:weight|bias)(?:_(?:ih|hh|hr)(?:_l\d+(?:_reverse)?)?)?\Z"  # Linear, Conv, norms; RNNs, their cells
    r"|(?:running_mean|running_var|num_batches_tracked)\Z"  # batch and instance norms
    r"|(?:pos_weight|_random_samples)\Z"  # BCEWithLogitsLoss, FractionalMaxPool2d/3d
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
REQUIRES_GRAD_KEYWORD = REQUIRES_GRAD
REQUIRES_GRAD_METHOD = REQUIRES_GRAD + "_"
REQUIRES_GRAD_ATTRIBUTE = REQUIRES_GRAD
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

#: The torch containers whose ``+`` gives the same kind of container back (``ModuleList.__add__``):
#: ``self.layers = self.layers + [...]`` keeps a registered one (``+=`` extends them all).
CONTAINERS_KEPT_BY_ADD: frozenset[str] = frozenset({"ModuleList"})

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
