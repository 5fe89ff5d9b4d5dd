"""X-ZEvent-Signature: "mac=" + sha256(app_id + raw body + timestamp + OA secret key), plain SHA-256, not HMAC.

The hash covers the raw bytes exactly as received, so it is checked before the body is parsed for anything
but the timestamp.
"""
from __future__ import annotations

import hashlib
import hmac

HEADER = "X-ZEvent-Signature"


def compute_signature(app_id: str, raw_body: bytes, timestamp: str, oa_secret_key: str) -> str:
    digest = hashlib.sha256(app_id.encode() + raw_body + timestamp.encode() + oa_secret_key.encode()).hexdigest()
    return f"mac={digest}"


def signature_is_valid(
    header_value: str | None, app_id: str, raw_body: bytes, timestamp: str | None, oa_secret_key: str
) -> bool:
    # An unconfigured secret must never make every request valid.
    if not header_value or not timestamp or not oa_secret_key or not app_id:
        return False
    expected = compute_signature(app_id, raw_body, timestamp, oa_secret_key)
    return hmac.compare_digest(header_value.strip().lower(), expected)
