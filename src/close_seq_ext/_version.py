"""The version of the close-sequences distribution, written here only: pyproject.toml reads it
(`[tool.hatch.version]`) and `make generate` renders it into `close_sequences.__version__`."""

__version__ = "0.1.0"
