"""A client library for accessing Close Sequences API"""

from .client import AuthenticatedClient, Client

# The distribution's version: src/close_seq_ext/_version.py, passed in by scripts/generate.py.
__version__ = "0.1.0"

__all__ = (
    "AuthenticatedClient",
    "Client",
)
