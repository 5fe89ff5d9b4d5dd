"""Masking of citizens' personal data before it reaches logs, analytics or exports."""
from __future__ import annotations

import re

# 12-digit citizen ID (CCCD), 9-digit old ID (CMND), Vietnamese phone numbers (0xxxxxxxxx, +84xxxxxxxxx),
# tolerant of spaces/dots/dashes people type inside them.
_SEP = r"[\s.\-]?"
_CCCD = re.compile(r"(?<!\d)\d{3}" + _SEP + r"\d{3}" + _SEP + r"\d{3}" + _SEP + r"\d{3}(?!\d)")
_PHONE = re.compile(r"(?<![\d+])(?:\+?84|0)" + _SEP + r"\d{2,3}" + _SEP + r"\d{3}" + _SEP + r"\d{3,4}(?!\d)")
_CMND = re.compile(r"(?<!\d)\d{9}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def mask_pii(text: str) -> str:
    """Replace ID numbers, phone numbers and e-mail addresses with placeholders."""
    if not text:
        return text
    text = _EMAIL.sub("[email]", text)
    text = _CCCD.sub("[số định danh]", text)
    text = _PHONE.sub("[số điện thoại]", text)
    text = _CMND.sub("[số định danh]", text)
    return text


def mask_person_name(full_name: str) -> str:
    """Keep the family name, then the first letter of every other name: "Nguyễn Văn An" -> "Nguyễn V*** A**".

    The number of stars is fixed so the mask does not reveal how long each name is.
    """
    parts = [p for p in (full_name or "").split() if p]
    if not parts:
        return ""
    masked = [parts[0]]
    for i, part in enumerate(parts[1:], start=1):
        masked.append(part[0] + ("**" if i == len(parts) - 1 else "***"))
    return " ".join(masked)


def mask_sender(sender: str) -> str:
    """Conversation ids may carry a Zalo user id; logs show only a short tail."""
    if len(sender) <= 6:
        return sender
    prefix, _, rest = sender.rpartition(":")
    tail = (rest or sender)[-4:]
    return f"{prefix + ':' if prefix else ''}…{tail}"
