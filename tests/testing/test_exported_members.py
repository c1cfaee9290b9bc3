"""The public names of `close_seq_ext.testing`."""

from __future__ import annotations

import close_seq_ext.testing as testing


def test_all_is_sorted_and_complete():
    public = {name for name in vars(testing) if not name.startswith("_")} - {"annotations"}
    modules = {name for name in public if type(getattr(testing, name)).__name__ == "module"}
    assert testing.__all__ == sorted(testing.__all__)
    assert set(testing.__all__) == public - modules


def test_public_objects_show_the_package_path():
    assert all(
        getattr(testing, name).__module__ == "close_seq_ext.testing" for name in testing.__all__
    )
