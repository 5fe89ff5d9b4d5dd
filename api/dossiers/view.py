"""What the citizen may see of a dossier: masked name, plain-language status, overdue, next step.

Never carries the phone number or e-mail address.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel

from api.dossiers.adapter import UpstreamDossier
from api.privacy import mask_person_name

STATUSES_FILE = Path(__file__).with_name("statuses.yml")
CHANNEL_POST = "3"

Clock = Literal["running", "finished", "stopped"]


@dataclass(frozen=True)
class StatusInfo:
    text: str
    clock: Clock
    next_step: str
    next_step_post: str | None = None


@lru_cache
def load_statuses(path: Path = STATUSES_FILE) -> dict[int, StatusInfo]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {int(code): StatusInfo(**info) for code, info in data["statuses"].items()}


class DossierView(BaseModel):
    code: str
    procedure_code: str
    procedure_name: str
    applicant_masked: str
    status_code: int
    status_text: str
    received_at: str | None  # ISO 8601 with the local offset
    due_at: str | None
    finished_at: str | None
    overdue: bool
    unit: str
    next_step: str
    documents_to_add: list[str]
    result_documents: list[str]


def finished_at(dossier: UpstreamDossier, status: StatusInfo) -> datetime | None:
    if status.clock != "finished":
        return None
    return dossier.processed_at or dossier.returned_at


def is_overdue(dossier: UpstreamDossier, status: StatusInfo, now: datetime) -> bool:
    """Overdue is computed, not a status: the appointment date against today or against the finish date."""
    if dossier.due_at is None or status.clock == "stopped":
        return False
    if status.clock == "finished":
        done = finished_at(dossier, status)
        return done is not None and done > dossier.due_at
    return now > dossier.due_at


def next_step_text(dossier: UpstreamDossier, status: StatusInfo, default_documents: str, default_results: str) -> str:
    template = status.next_step_post if dossier.channel == CHANNEL_POST and status.next_step_post else status.next_step
    return template.format(
        unit=dossier.unit or "cơ quan tiếp nhận hồ sơ",
        documents="; ".join(dossier.documents_to_add) or default_documents,
        results="; ".join(dossier.result_documents) or default_results,
    )


def iso_local(moment: datetime | None, zone: tzinfo) -> str | None:
    return moment.replace(tzinfo=zone).isoformat() if moment else None


def unknown_status(code: int) -> StatusInfo:
    return StatusInfo(text=f"Trạng thái {code}", clock="stopped", next_step="Anh/Chị vui lòng liên hệ {unit} để biết thêm.")


def build_view(
    dossier: UpstreamDossier, now: datetime, zone: tzinfo, default_documents: str, default_results: str
) -> DossierView:
    """`now` is local wall-clock time (naive), like the one-stop system's dates."""
    status = load_statuses().get(dossier.status_code) or unknown_status(dossier.status_code)
    return DossierView(
        code=dossier.code,
        procedure_code=dossier.procedure_code,
        procedure_name=dossier.procedure_name,
        applicant_masked=mask_person_name(dossier.applicant),
        status_code=dossier.status_code,
        status_text=status.text,
        received_at=iso_local(dossier.received_at, zone),
        due_at=iso_local(dossier.due_at, zone),
        finished_at=iso_local(finished_at(dossier, status), zone),
        overdue=is_overdue(dossier, status, now),
        unit=dossier.unit,
        next_step=next_step_text(dossier, status, default_documents, default_results),
        documents_to_add=dossier.documents_to_add if dossier.status_code == 5 else [],
        result_documents=dossier.result_documents if status.clock == "finished" else [],
    )
