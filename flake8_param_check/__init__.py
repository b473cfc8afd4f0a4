"""flake8-param-check: find tensors and layers that an nn.Module holds without registering them."""

__version__ = "0.2.0"
