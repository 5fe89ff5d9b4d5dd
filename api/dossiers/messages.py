"""Ready Vietnamese texts for dossier lookups, from replies.yml. Never includes the phone number."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from api.dossiers.view import DossierView, load_statuses

REPLIES_FILE = Path(__file__).with_name("replies.yml")


def load_replies(path: Path = REPLIES_FILE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def vietnamese_date(iso: str | None) -> str:
    return datetime.fromisoformat(iso).strftime("%d/%m/%Y") if iso else ""


def vietnamese_wait(seconds: int) -> str:
    """1800 → "30 phút", 3600 → "1 giờ", 4500 → "1 giờ 15 phút" (rounded up to the minute)."""
    minutes = max(1, math.ceil(seconds / 60))
    hours, minutes = divmod(minutes, 60)
    parts = ([f"{hours} giờ"] if hours else []) + ([f"{minutes} phút"] if minutes else [])
    return " ".join(parts)


@dataclass(frozen=True)
class DossierReplies:
    replies: dict[str, Any]
    province: str
    hotline: str

    @property
    def source(self) -> str:
        return self.replies["source"].format(province=self.province)

    @property
    def default_documents(self) -> str:
        return self.replies["default_document_list"]

    @property
    def default_results(self) -> str:
        return self.replies["default_result_list"]

    def text(self, key: str, **values: Any) -> str:
        return self.replies[key].format(source=self.source, hotline=self.hotline, **values).strip()

    def found(self, view: DossierView, now: datetime) -> str:
        lines = self.replies["found"]
        out = [
            lines["header"].format(
                source=self.source, code=view.code, procedure_name=view.procedure_name, applicant=view.applicant_masked
            ),
            lines["status"].format(status_text=view.status_text),
        ]
        if view.received_at:
            out.append(lines["received"].format(received=vietnamese_date(view.received_at)))
        if view.due_at:
            out.append(self._due_line(view, now))
        if view.finished_at:
            key = "finished_late" if view.overdue else "finished_in_time"
            out.append(lines[key].format(finished=vietnamese_date(view.finished_at)))
        if view.unit:
            out.append(lines["unit"].format(unit=view.unit))
        out.append(lines["next_step"].format(next_step=view.next_step))
        if view.overdue and not view.finished_at:
            out.append(lines["overdue_hint"].format(hotline=self.hotline))
        return "\n".join(out)

    def _due_line(self, view: DossierView, now: datetime) -> str:
        lines = self.replies["found"]
        due = vietnamese_date(view.due_at)
        if not is_running(view):
            return lines["due_plain"].format(due=due)
        if not view.overdue:
            return lines["due_in_time"].format(due=due)
        days_late = (now.date() - datetime.fromisoformat(view.due_at).date()).days
        if days_late >= 1:
            return lines["due_overdue_days"].format(due=due, days=days_late)
        return lines["due_overdue_today"].format(due=due)

    def failed(self, outcome: str, code: str, left: int, lock_s: int | None) -> str:
        """not_found / mismatch, with how many tries are left or that lookups are now locked."""
        parts = [self.text(outcome, code=code)]
        if lock_s:
            parts.append(self.text("lock_started", wait=vietnamese_wait(lock_s)))
        elif left <= 3:
            parts.append(self.text("attempts_left", left=left))
        return " ".join(parts)


def is_running(view: DossierView) -> bool:
    status = load_statuses().get(view.status_code)
    return status is not None and status.clock == "running"
