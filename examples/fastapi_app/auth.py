"""Who may call the app: the one place to plug in your own authentication.

`require_caller` is a FastAPI dependency on the routes that act for a caller (see
`create_app`): it checks the request's ``Authorization: Bearer <token>`` against the
app's `APP_API_TOKEN`, in constant time, and answers 401 otherwise. Replace its body with
your own check (OAuth2 scopes, a session, the user an API gateway vouches for) and every
route that depends on it follows. Routes that authenticate another way, like a webhook
signed by Close, do not depend on it.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .config import AppConfig

__all__ = ["app_config", "require_caller"]

# auto_error=False: a missing or non-Bearer header reaches `require_caller`, which answers
# 401 with the challenge RFC 6750 asks for, the same for every refusal.
_bearer = HTTPBearer(auto_error=False, description="APP_API_TOKEN")


def app_config(request: Request) -> AppConfig:
    """The configuration `create_app` was made with."""
    config: AppConfig = request.app.state.config
    return config


def require_caller(
    config: Annotated[AppConfig, Depends(app_config)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Let the request through only with the app's bearer token."""
    given = credentials.credentials.encode() if credentials is not None else b""
    if not hmac.compare_digest(given, config.api_token.encode()):
        raise HTTPException(401, "Not authenticated", headers={"WWW-Authenticate": "Bearer"})
