"""The version of the close-sequences distribution; kept equal to pyproject.toml by a test."""

__version__ = "0.1.0"
