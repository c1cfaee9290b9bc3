"""The public surface: the names design.md promises, exported from the package root."""

from __future__ import annotations

from types import ModuleType

import close_seq_ext

DESIGN_NAMES = {
    "make_client", "paginate", "iter_pages", "wait_for_bulk_action", "squery",
    "CloseError", "APIStatusError", "ValidationError", "AuthenticationError",
    "PermissionDeniedError", "NotFoundError", "RateLimitError", "ServerError",
    "APIConnectionError", "APITimeoutError", "BulkActionFailed", "BulkActionTimeout",
}  # fmt: skip


def test_all_is_sorted() -> None:
    assert close_seq_ext.__all__ == sorted(close_seq_ext.__all__)


def test_all_lists_exactly_the_public_names() -> None:
    # Submodules (testing, once imported) are reached by their own import, not from here.
    public = {
        name
        for name, value in vars(close_seq_ext).items()
        if name.isidentifier() and not name.startswith("_") and not isinstance(value, ModuleType)
    }
    assert set(close_seq_ext.__all__) - {"__version__", "squery", "webhooks"} == public


def test_every_name_of_design_md_is_exported() -> None:
    assert set(close_seq_ext.__all__) >= DESIGN_NAMES


def test_exported_classes_and_functions_show_the_package_as_their_home() -> None:
    for name in close_seq_ext.__all__:
        obj = getattr(close_seq_ext, name)
        if callable(obj):
            assert obj.__module__ == "close_seq_ext", name


def test_every_exception_derives_from_close_error() -> None:
    for name in close_seq_ext.__all__:
        obj = getattr(close_seq_ext, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, close_seq_ext.CloseError), name


def test_the_timeout_of_a_bulk_action_is_a_timeout_error() -> None:
    assert issubclass(close_seq_ext.BulkActionTimeout, TimeoutError)
