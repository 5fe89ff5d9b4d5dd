"""Pure decisions of the dialogue, kept out of the actions so they are easy to test and to read."""
from __future__ import annotations

import re
from typing import Any

DOSSIER_CODE_RE = re.compile(r"(?<![\w.])(\d{3}\.\d{2}\.\d{2}\.[A-Za-z]\d{2}-\d{6}-\d{4})(?![\w-])")
LAST4_RE = re.compile(r"(?<!\d)(\d{4})(?!\d)")
# A run of digits with the spaces / dots people type inside a phone number, then the mobile shape itself
PHONE_RUN_RE = re.compile(r"(?<![\d+])\+?\d[\d .]{8,14}\d(?!\d)")
MOBILE_RE = re.compile(r"^(?:\+84|84|0)(\d{9})$")


def is_payload(text: str | None) -> bool:
    """Button payloads ("/ask_fee", "/ask_procedure{...}") are not questions to search for."""
    return bool(text) and text.lstrip().startswith("/")


# set in the parse result by bot/components/vietnamese_gate.py when the words are mostly not Vietnamese
NLU_GATE_KEY = "vietnamese_gate"


def should_search_fallback(latest_message: dict[str, Any]) -> bool:
    """An nlu_fallback message in words may still name a procedure; keyboard mash, button payloads and
    messages of a real intent that no rule expected (the core fallback) are not searched."""
    intent = (latest_message.get("intent") or {}).get("name")
    text = (latest_message.get("text") or "").strip()
    has_words = any(ch.isalnum() for ch in text)
    return intent == "nlu_fallback" and has_words and not is_payload(text) and not latest_message.get(NLU_GATE_KEY)


def aspect_for_intent(intent: str | None, aspects: dict[str, str]) -> str:
    return aspects.get(intent or "", "general")


def next_part(doc_part: Any) -> int:
    try:
        return max(1, int(doc_part or 0) + 1)
    except (TypeError, ValueError):
        return 1


def fallback_tier(previous_count: Any, handoff_after: int) -> tuple[int, str]:
    """(new count, response): the first misunderstanding asks to rephrase, later ones offer an officer."""
    count = int(previous_count or 0) + 1
    response = "utter_fallback_handoff" if count >= handoff_after else "utter_fallback_rephrase"
    return count, response


# actions after which a "not understood" turn counts as a repeat (the two-tier fallback is consecutive)
FALLBACK_ACTIONS = {"action_fallback", "action_answer_procedure"}


def consecutive_fallback_count(events: list[dict[str, Any]], slot_value: Any) -> int:
    """The fallback counter, or 0 when the bot's previous turn was something else (a greeting, a lookup)."""
    seen_user = False
    for event in reversed(events or []):
        kind = event.get("event")
        if kind == "user":
            if seen_user:
                break
            seen_user = True
        elif kind == "action" and seen_user and event.get("name") not in ("action_listen", None):
            return int(slot_value or 0) if event["name"] in FALLBACK_ACTIONS else 0
    return int(slot_value or 0)


def normalize_dossier_code(value: Any) -> str | None:
    """The dossier code found in what the citizen typed, in canonical form (agency letter upper case)."""
    match = DOSSIER_CODE_RE.search(str(value or ""))
    return match.group(1).upper() if match else None


def extract_last4(value: Any) -> str | None:
    """Exactly one group of 4 digits (the last digits of the phone registered on the dossier); a whole
    mobile number typed instead gives its last 4 (only those are sent on)."""
    phone = normalize_phone(value)
    if phone:
        return phone[-4:]
    groups = LAST4_RE.findall(str(value or ""))
    return groups[0] if len(groups) == 1 else None


def normalize_phone(value: Any) -> str | None:
    """A Vietnamese mobile number as 0xxxxxxxxx, or None."""
    for run in PHONE_RUN_RE.findall(str(value or "")):
        match = MOBILE_RE.match(re.sub(r"[ .]", "", run))
        if match:
            return "0" + match.group(1)
    return None


def entity_value(latest_message: dict[str, Any], entity: str) -> str | None:
    for item in latest_message.get("entities") or []:
        if item.get("entity") == entity and item.get("value"):
            return str(item["value"])
    return None
