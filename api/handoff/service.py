"""Hand-over to an officer: record the request, tell the citizen honestly what happens next.

In office hours an officer answers in the same conversation. Outside them the request waits for the next
opening, and the citizen may leave a phone number for a call-back — stored only with explicit consent.
While the request waits the bot keeps answering procedure questions; once an officer takes the conversation
over, the bot is silent (`HandoffStore.is_held`).
"""
from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import yaml
from pydantic import BaseModel

from api.db import Database
from api.handoff.hours import OfficeHours, describe_moment, parse_office_hours
from api.handoff.store import HandoffStore
from api.settings import Settings

CONFIG_FILE = Path(__file__).with_name("handoff.yml")
MOBILE = re.compile(r"^(?:0|\+84|84)(\d{9})$")


class HandoffReply(BaseModel):
    in_office_hours: bool
    hotline: str
    next_open: str
    message: str
    callback_recorded: bool = False
    state: str = "waiting_officer"


def load_config(path: Path = CONFIG_FILE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def normalise_phone(raw: str | None) -> str | None:
    """A Vietnamese mobile number as 0xxxxxxxxx, or None when it is not one."""
    match = MOBILE.match(re.sub(r"[\s.\-()]", "", raw or ""))
    return "0" + match.group(1) if match else None


class HandoffService:
    def __init__(
        self,
        store: HandoffStore,
        hours: OfficeHours,
        hotline: str,
        config: dict[str, Any],
        clock: Callable[[], datetime],
    ):
        self.store = store
        self.hours = hours
        self.hotline = hotline
        self.config = config
        self.clock = clock

    def text(self, key: str, **values: str) -> str:
        values = {"office": self.config["office"], "hotline": self.hotline, "hours": self.hours.describe(), **values}
        return self.config["replies"][key].format(**values).strip()

    def next_open_text(self, now: datetime, in_hours: bool) -> str:
        if in_hours:
            return self.config["replies"]["now_open"]
        opening = self.hours.next_open(now)
        return describe_moment(opening, now) if opening else ""

    def request(self, sender: str, reason: str, phone: str | None, consent: bool) -> HandoffReply:
        now = self.clock()
        in_hours = self.hours.is_open(now)
        next_open = self.next_open_text(now, in_hours)
        if self.store.is_held(sender):
            return HandoffReply(
                in_office_hours=in_hours, hotline=self.hotline, next_open=next_open,
                message=self.text("held"), state="held_by_officer",
            )
        transcript = self.store.last_messages(sender, int(self.config["transcript_messages"]))
        handoff_id = self.store.open_handoff(sender, reason or "", transcript, in_hours)
        parts = [self.opening_text(in_hours, next_open)]
        callback_recorded = False
        if phone and not consent:
            parts.append(self.text("phone_without_consent"))
        elif phone:
            normalised = normalise_phone(phone)
            if normalised is None:
                parts.append(self.text("phone_invalid"))
            else:
                self.store.record_callback(sender, handoff_id, normalised)
                callback_recorded = True
                key = "callback_recorded_in_hours" if in_hours else "callback_recorded_out_of_hours"
                parts.append(self.text(key, next_open=next_open))
        if not in_hours and not callback_recorded:
            parts.append(self.text("offer_callback"))
        return HandoffReply(
            in_office_hours=in_hours, hotline=self.hotline, next_open=next_open,
            message=" ".join(parts), callback_recorded=callback_recorded,
        )

    def opening_text(self, in_hours: bool, next_open: str) -> str:
        if in_hours:
            return self.text("in_hours")
        if not next_open:
            return self.text("no_hours")
        return self.text("out_of_hours", next_open=next_open)


def build_handoff_service(
    settings: Settings, db: Database, clock: Callable[[], datetime] | None = None
) -> HandoffService:
    config = load_config()
    hours = parse_office_hours(settings.office_hours, settings.timezone, config.get("closed_dates"))
    now = clock or (lambda: datetime.now(hours.zone))
    store = HandoffStore(db, clock=lambda: now().timestamp())
    return HandoffService(store, hours, settings.hotline, config, now)
