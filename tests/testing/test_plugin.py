"""The pytest plugin, as a user's project sees it, and the package without its extra."""

from __future__ import annotations

import subprocess
import sys
import textwrap

USER_CONFTEST = """
import pytest

@pytest.fixture(scope="session")
def close_server_options():
    return {"leads": 3}
"""

USER_TESTS = """
import httpx

def test_first_creates_a_sequence(close_server):
    body = {"name": "x", "timezone": "UTC", "steps": [{"step_type": "call"}]}
    url, auth = close_server.url("/api/v1/sequence/"), (close_server.api_key, "")
    assert httpx.post(url, json=body, auth=auth).status_code == 200

def test_second_starts_from_a_fresh_state(close_server):
    assert close_server.state.sequences == {}

def test_options_fixture_configures_the_server(close_server):
    assert len(close_server.state.leads) == 3

def test_sets_a_rate_limit_of_one_an_hour(close_server):
    close_server.rate_limits.set(1, 3600)

def test_the_session_server_used_directly_is_clean_after_a_test(make_close_server):
    url, auth = make_close_server.url("/api/v1/sequence/"), (make_close_server.api_key, "")
    assert [httpx.get(url, auth=auth).status_code for _ in range(2)] == [200, 200]
"""

# Plugins this repository installs that a user's run does not need (they only cost start-up).
QUIET_PLUGINS = ["-p", "no:cacheprovider", "-p", "no:schemathesis", "-p", "no:hypothesispytest"]

WITHOUT_EXTRA = """
import sys

class Missing:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("starlette", "uvicorn"):
            raise ImportError(f"No module named {name!r}")

sys.meta_path.insert(0, Missing())
import close_seq_ext.testing.plugin
from close_seq_ext.testing import CloseServer
try:
    CloseServer(leads=0).start()
except ImportError as err:
    print(err)
"""


def test_user_tests_get_a_fresh_configured_server(tmp_path):
    (tmp_path / "conftest.py").write_text(USER_CONFTEST)
    (tmp_path / "test_app.py").write_text(textwrap.dedent(USER_TESTS))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *QUIET_PLUGINS, str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout


def test_plugin_imports_without_the_extra_and_start_explains(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_EXTRA], capture_output=True, text=True, check=True
    )
    assert "pip install 'close-sequences[testing]'" in result.stdout
