"""Adapter for the national portal's sharing protocol, service TraCuuHoSo.

`POST {url}` `{"service": "TraCuuHoSo", "mahoso", "session", "madonvi"?}` → `{"error_code", "message", "result"}`.
error_code 0 with an empty result means "no such dossier"; anything else (a non-zero error_code, an HTTP error,
a body that is not the protocol's JSON, a timeout) is an upstream failure.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

DATE_FORMAT = "%Y%m%d%H%M%S"


class UpstreamError(Exception):
    """The one-stop system did not give a usable answer."""


@dataclass(frozen=True)
class UpstreamDossier:
    """One dossier as the one-stop system sends it (dates in local wall-clock time, naive)."""

    code: str
    procedure_code: str
    procedure_name: str
    applicant: str
    phone: str
    status_code: int
    unit: str
    channel: str  # HinhThuc: 1 in person, 2 online, 3 post
    received_at: datetime | None
    due_at: datetime | None
    returned_at: datetime | None
    processed_at: datetime | None
    documents_to_add: list[str] = field(default_factory=list)
    result_documents: list[str] = field(default_factory=list)


def parse_date(value: Any) -> datetime | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return datetime.strptime(text[:14], DATE_FORMAT)
    except ValueError:
        return None


def document_names(items: Any) -> list[str]:
    """Names in DanhSachHoSoBoSung / DanhSachGiayToKetQua: strings, {"TenGiayTo"} objects, or supplement
    requests that list their documents under DanhSachGiayToBoSung (else their NoiDungBoSung)."""
    names: list[str] = []
    for item in items or []:
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, dict):
            nested = item.get("DanhSachGiayToBoSung")
            if nested:
                names.extend(document_names(nested))
            elif item.get("TenGiayTo") or item.get("NoiDungBoSung"):
                names.append(str(item.get("TenGiayTo") or item.get("NoiDungBoSung")))
    return [name.strip() for name in names if name and name.strip()]


def parse_dossier(row: dict[str, Any]) -> UpstreamDossier:
    try:
        status_code = int(str(row.get("TrangThaiHoSo", "")).strip())
    except ValueError as exc:
        raise UpstreamError("TrangThaiHoSo is not a number") from exc
    return UpstreamDossier(
        code=str(row.get("MaHoSo") or ""),
        procedure_code=str(row.get("MaTTHC") or ""),
        procedure_name=str(row.get("TenTTHC") or ""),
        applicant=str(row.get("ChuHoSo") or ""),
        phone=str(row.get("SoDienThoai") or ""),
        status_code=status_code,
        unit=str(row.get("DonViXuLy") or ""),
        channel=str(row.get("HinhThuc") or ""),
        received_at=parse_date(row.get("NgayTiepNhan")),
        due_at=parse_date(row.get("NgayHenTra")),
        returned_at=parse_date(row.get("NgayTra")),
        processed_at=parse_date(row.get("NgayKetThucXuLy")),
        documents_to_add=document_names(row.get("DanhSachHoSoBoSung")),
        result_documents=document_names(row.get("DanhSachGiayToKetQua")),
    )


class OneStopClient:
    def __init__(self, url: str, token: str, unit_code: str = "", timeout_s: float = 4.0):
        self.url = url
        self.token = token
        self.unit_code = unit_code
        self.timeout_s = timeout_s

    def request_body(self, code: str) -> dict[str, str]:
        body = {"service": "TraCuuHoSo", "mahoso": code, "session": self.token}
        if self.unit_code:
            body["madonvi"] = self.unit_code
        return body

    async def fetch(self, code: str) -> UpstreamDossier | None:
        """The dossier, None when the system does not know the code; UpstreamError on any failure."""
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s) as client:
                resp = await client.post(self.url, json=self.request_body(code))
            resp.raise_for_status()
            payload = resp.json()
        except httpx.TimeoutException as exc:
            raise UpstreamError(f"timeout after {self.timeout_s}s") from exc
        except httpx.HTTPStatusError as exc:
            raise UpstreamError(f"HTTP {exc.response.status_code}") from exc
        except httpx.HTTPError as exc:
            raise UpstreamError(type(exc).__name__) from exc
        except ValueError as exc:
            raise UpstreamError("answer is not JSON") from exc
        return matching_dossier(payload, code)


def matching_dossier(payload: Any, code: str) -> UpstreamDossier | None:
    """The row for `code` in a protocol answer. Rows for other codes are ignored so that a system that
    answers loosely (prefix search, say) never shows the citizen someone else's dossier."""
    if not isinstance(payload, dict) or "error_code" not in payload:
        raise UpstreamError("answer is not the sharing protocol")
    if str(payload.get("error_code")).strip() != "0":
        # The message is the system's, not the citizen's data; keep it short in logs.
        raise UpstreamError(f"error_code {payload.get('error_code')}: {str(payload.get('message'))[:120]}")
    result = payload.get("result") or []
    if not isinstance(result, list):
        raise UpstreamError("result is not a list")
    rows = [row for row in result if isinstance(row, dict) and str(row.get("MaHoSo", "")).strip().upper() == code.upper()]
    return parse_dossier(rows[0]) if rows else None
