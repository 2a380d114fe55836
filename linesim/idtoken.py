"""LIFF / LINE Login ID tokens: HS256 JWTs signed with the login channel secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

ISSUER = "https://access.line.me"


class IdTokenError(ValueError):
    """The ``error_description`` LINE gives for a token it refuses."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mint(claims: dict[str, Any], secret: str) -> str:
    header = _b64(json.dumps({"typ": "JWT", "alg": "HS256"}, separators=(",", ":")).encode())
    payload = _b64(json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode()
    sig = _b64(hmac.new(secret.encode(), signing_input, hashlib.sha256).digest())
    return f"{header}.{payload}.{sig}"


def unverified_claims(token: str) -> dict[str, Any]:
    try:
        _, payload, _ = token.split(".")
        claims = json.loads(_unb64(payload))
    except (ValueError, json.JSONDecodeError) as exc:
        raise IdTokenError("Invalid IdToken.") from exc
    if not isinstance(claims, dict):
        raise IdTokenError("Invalid IdToken.")
    return claims


def verify(token: str, secret: str, *, client_id: str, now: float, nonce: str | None = None,
           user_id: str | None = None) -> dict[str, Any]:
    """Check signature, issuer, audience, expiry, nonce and subject; return the claims."""
    claims = unverified_claims(token)
    header, payload, sig = token.split(".")
    expected = _b64(hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, sig) or claims.get("iss") != ISSUER:
        raise IdTokenError("Invalid IdToken.")
    if claims.get("aud") != client_id:
        raise IdTokenError("Invalid IdToken Audience.")
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= now:
        raise IdTokenError("IdToken expired.")
    if nonce is not None and claims.get("nonce") != nonce:
        raise IdTokenError("Invalid IdToken Nonce.")
    if user_id is not None and claims.get("sub") != user_id:
        raise IdTokenError("Invalid IdToken Subject Identifier.")
    return claims
