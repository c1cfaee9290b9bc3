"""Basic (key as username) and Bearer auth; anything else is a 401."""

from __future__ import annotations

SEQUENCES = "/api/v1/sequence/"


def test_basic_auth_with_the_key_and_empty_password_is_accepted(close_server, http):
    response = http.get(SEQUENCES, auth=(close_server.api_key, ""))
    assert response.status_code == 200


def test_bearer_token_is_accepted(close_server, http):
    headers = {"Authorization": f"Bearer {close_server.oauth_token}"}
    assert http.get(SEQUENCES, headers=headers).status_code == 200


def test_missing_credentials_are_a_401_with_a_json_error(close_server, http):
    response = http.get(SEQUENCES)
    assert response.status_code == 401
    assert "error" in response.json()


def test_wrong_key_is_a_401(close_server, http):
    assert http.get(SEQUENCES, auth=("api_wrong", "")).status_code == 401


def test_the_api_key_as_bearer_token_is_a_401(close_server, http):
    headers = {"Authorization": f"Bearer {close_server.api_key}"}
    assert http.get(SEQUENCES, headers=headers).status_code == 401


def test_garbage_basic_credentials_are_a_401(close_server, http):
    headers = {"Authorization": "Basic !!!not-base64"}
    assert http.get(SEQUENCES, headers=headers).status_code == 401
