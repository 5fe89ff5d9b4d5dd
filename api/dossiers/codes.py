"""Shapes of what the citizen types: the dossier code and the last 4 digits of the registered phone."""
from __future__ import annotations

import re

# Agency e-ID code + YYMMDD + sequence, e.g. 000.00.01.H29-240115-0001 (citizens may type it in lower case).
DOSSIER_CODE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}-\d{6}-\d{4}$")
LAST4 = re.compile(r"^\d{4}$")


def normalise_code(raw: str | None) -> str | None:
    """The code in canonical (upper-case) form, or None when it does not have the national shape."""
    code = (raw or "").strip().upper()
    return code if DOSSIER_CODE.match(code) else None


def normalise_last4(raw: str | int | None) -> str | None:
    """Exactly four digits (spaces ignored), or None."""
    if raw is None:
        return None
    digits = re.sub(r"\s+", "", str(raw))
    return digits if LAST4.match(digits) else None


def phone_last4(phone: str | None) -> str | None:
    """Last four digits of a registered phone number, whatever separators it was stored with."""
    digits = re.sub(r"\D", "", phone or "")
    return digits[-4:] if len(digits) >= 4 else None
