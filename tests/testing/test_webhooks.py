"""`close_seq_ext.testing.sign_webhook`: deliveries signed exactly as Close signs them."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from close_seq_ext.testing import plugin, sign_webhook
from close_seq_ext.webhooks import verify

KEY = "5e" * 32
EVENT = {
    "subscription_id": "whsub_1",
    "event": {"id": "ev_1", "object_type": "contact", "action": "created"},
}


def test_the_signature_is_closes_hmac_over_the_timestamp_and_the_body() -> None:
    body, headers = sign_webhook(EVENT, KEY, timestamp=1_700_000_000)
    message = b"1700000000" + body
    expected = hmac.new(bytes.fromhex(KEY), message, hashlib.sha256).hexdigest()
    assert headers["close-sig-timestamp"] == "1700000000"
    assert headers["close-sig-hash"] == expected


def test_a_dict_is_sent_as_its_json_and_bytes_as_they_are() -> None:
    body, headers = sign_webhook(EVENT, KEY)
    assert json.loads(body) == EVENT
    assert headers["content-type"] == "application/json"
    raw = b'{"subscription_id":  "whsub_1"}'
    assert sign_webhook(raw, KEY)[0] == raw


def test_verify_accepts_what_it_signs() -> None:
    assert verify(*sign_webhook(EVENT, KEY), KEY).event.id == "ev_1"


def test_the_timestamp_defaults_to_now_in_whole_seconds() -> None:
    before = int(time.time())
    _, headers = sign_webhook(EVENT, KEY)
    assert before <= int(headers["close-sig-timestamp"]) <= time.time()


def test_a_fractional_timestamp_is_cut_to_whole_seconds() -> None:
    _, headers = sign_webhook(EVENT, KEY, timestamp=1_700_000_000.9)
    assert headers["close-sig-timestamp"] == "1700000000"


def test_an_old_timestamp_signs_a_delivery_verify_finds_stale() -> None:
    body, headers = sign_webhook(EVENT, KEY, timestamp=time.time() - 600)
    with pytest.raises(ValueError, match="stale"):
        verify(body, headers, KEY)


@pytest.mark.parametrize("payload", [json.dumps(EVENT), ["ev_1"], None])
def test_a_payload_that_is_not_a_dict_or_bytes_is_a_type_error(payload: Any) -> None:
    with pytest.raises(TypeError, match="payload must be a dict or bytes"):
        sign_webhook(payload, KEY)


def test_a_key_that_is_not_hex_is_a_value_error_naming_signature_key() -> None:
    with pytest.raises(ValueError, match=r"^signature_key is not hex"):
        sign_webhook(EVENT, "not-hex")


@pytest.mark.parametrize("key", [[KEY], bytes.fromhex(KEY)])
def test_a_key_that_is_not_one_str_is_a_type_error(key: Any) -> None:
    with pytest.raises(TypeError, match="signature_key"):
        sign_webhook(EVENT, key)


@pytest.mark.parametrize(
    ("timestamp", "error"),
    [(True, TypeError), ("1700000000", TypeError), (-1, ValueError), (float("nan"), ValueError)],
)
def test_a_timestamp_that_is_not_unix_seconds_is_refused(timestamp: Any, error: type) -> None:
    with pytest.raises(error, match="timestamp"):
        sign_webhook(EVENT, KEY, timestamp=timestamp)


def test_the_plugins_documented_handler_test_passes_as_a_users_test_module(
    tmp_path: Path,
) -> None:
    doc = plugin.__doc__ or ""
    start = doc.index("A test module for a handler")
    example = re.search(r"::\n\n((?:    .*\n|\n)+)", doc[start:])
    assert example is not None
    (tmp_path / "test_handler.py").write_text(textwrap.dedent(example.group(1)))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout
