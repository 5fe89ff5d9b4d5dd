"""Catalog import: the interchange JSON Lines format (SCHEMA.md) and the national portal's API JSON.

Every record is validated field by field. A bad record is rejected with (file, line, field, reason) and
counted; it never crashes the import and never disappears silently. Several catalogs combine by code:
a later catalog overrides or extends an earlier one (a province's variants on top of the national list).
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import asdict, dataclass, fields
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any, Collection, Iterator, MutableMapping

LEVELS = {"Cấp bộ", "Cấp tỉnh", "Cấp xã", "Cấp huyện", "Cơ quan khác"}
CHANNEL_METHODS = {"online", "direct", "postal"}
ONLINE_LEVELS = {"full", "partial"}
CODE_RE = re.compile(r"^\d+\.\d{6,}$")  # a few real codes carry 7+ digits; keep them
PORTAL_SOURCE_TAG = "portal-api"


@dataclass
class Procedure:
    code: str
    name: str
    field: str | None = None
    levels: list[str] = dataclass_field(default_factory=list)
    issuing_body: str | None = None
    agencies: list[str] = dataclass_field(default_factory=list)
    decision: str | None = None
    kind: str | None = None
    subjects: list[str] = dataclass_field(default_factory=list)
    channels: list[dict] = dataclass_field(default_factory=list)
    steps: str | None = None
    documents: str | None = None
    document_items: list[dict] = dataclass_field(default_factory=list)
    requirements: str | None = None
    results: str | None = None
    legal_basis: list[dict] = dataclass_field(default_factory=list)
    online_level: str | None = None
    detail: str = "summary"
    province: str | None = None
    status: str | None = None
    source_url: str | None = None
    source: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


FIELD_NAMES = [f.name for f in fields(Procedure)]
_STR_FIELDS = {"field", "issuing_body", "decision", "kind", "steps", "documents", "requirements", "results",
               "online_level", "province", "status", "source_url"}
_STR_LIST_FIELDS = {"levels", "agencies", "subjects"}
_OBJ_LIST_FIELDS = {"channels", "document_items", "legal_basis"}


@dataclass
class Rejection:
    file: str
    line: int
    field: str
    reason: str

    def __iter__(self) -> Iterator:  # lets callers unpack (file, line, field, reason)
        return iter((self.file, self.line, self.field, self.reason))

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: field {self.field!r}: {self.reason}"


@dataclass
class ImportReport:
    # A list; a lazy view of the records when load_catalogs was given somewhere to keep them.
    procedures: Collection[Procedure] = dataclass_field(default_factory=list)
    read: int = 0
    kept: int = 0
    merged: int = 0
    rejected: list[Rejection] = dataclass_field(default_factory=list)
    files: list[str] = dataclass_field(default_factory=list)

    def summary(self) -> str:
        lines = [f"catalog import: read {self.read}, kept {self.kept}, merged {self.merged}, "
                 f"rejected {len(self.rejected)} -> {len(self.procedures)} procedures"]
        reasons: dict[str, int] = {}
        for r in self.rejected:
            key = f"{r.field}: {r.reason}"
            reasons[key] = reasons.get(key, 0) + 1
        for key, count in sorted(reasons.items(), key=lambda kv: -kv[1]):
            lines.append(f"  rejected {count} x {key}")
        for r in self.rejected[:20]:
            lines.append(f"  {r}")
        if len(self.rejected) > 20:
            lines.append(f"  ... and {len(self.rejected) - 20} more")
        return "\n".join(lines)


class RecordError(ValueError):
    def __init__(self, field_name: str, reason: str):
        super().__init__(reason)
        self.field = field_name
        self.reason = reason


# --- validation of the interchange format ---------------------------------------------------------


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    if isinstance(value, dict):
        return {k: _nfc(v) for k, v in value.items()}
    return value


def validate_record(raw: Any) -> Procedure:
    """Turn one decoded JSON object into a Procedure, or raise RecordError naming the bad field."""
    if not isinstance(raw, dict):
        raise RecordError("<record>", "not a JSON object")
    code = raw.get("code")
    if not isinstance(code, str) or not CODE_RE.match(code.strip()):
        raise RecordError("code", f"missing or malformed code {code!r}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RecordError("name", "missing or empty name")
    values: dict[str, Any] = {"code": code.strip(), "name": " ".join(name.split())}
    for key in _STR_FIELDS:
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            raise RecordError(key, f"expected text or null, got {type(value).__name__}")
        values[key] = value if value else None
    for key in _STR_LIST_FIELDS:
        value = raw.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise RecordError(key, "expected a list of text")
        values[key] = value
    for key in _OBJ_LIST_FIELDS:
        value = raw.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise RecordError(key, "expected a list of objects")
        values[key] = value
    bad_levels = [lv for lv in values["levels"] if lv not in LEVELS]
    if bad_levels:
        raise RecordError("levels", f"unknown level {bad_levels[0]!r}")
    for channel in values["channels"]:
        if channel.get("method") not in CHANNEL_METHODS:
            raise RecordError("channels", f"unknown channel method {channel.get('method')!r}")
    for item in values["document_items"]:
        if not isinstance(item.get("name"), str):
            raise RecordError("document_items", "item without a name")
    for item in values["legal_basis"]:
        if not isinstance(item.get("title"), str):
            raise RecordError("legal_basis", "item without a title")
    if values["online_level"] is not None and values["online_level"] not in ONLINE_LEVELS:
        raise RecordError("online_level", f"unknown online level {values['online_level']!r}")
    detail = raw.get("detail")
    if detail not in (None, "full", "summary"):
        raise RecordError("detail", f"unknown detail {detail!r}")
    values["detail"] = "full" if (values["steps"] or values["documents"]) else "summary"
    source = raw.get("source")
    values["source"] = source if isinstance(source, str) else ""
    return Procedure(**_nfc(values))


# --- national portal API format -------------------------------------------------------------------

_PORTAL_METHODS = {"ONLINE": "online", "DIRECT": "direct", "POSTAL": "postal"}
_PORTAL_UNITS = {"WORKING_DAY": "ngày làm việc", "DAY": "ngày", "HOUR": "giờ", "MONTH": "tháng"}
_PORTAL_KINDS = {
    "ASSIGNED_REGULATION": "TTHC được luật giao quy định chi tiết",
    "NOT_ASSIGNED_REGULATION": "TTHC không được luật giao cho địa phương quy định hoặc quy định chi tiết",
    "OTHER": "Loại khác",
}
_PROVINCE_RE = re.compile(r"((?:Tỉnh|Thành phố)\s+[^,;()]+)$", re.IGNORECASE)


def _names(items: Any) -> list[str]:
    return [i["name"].strip() for i in items or [] if isinstance(i, dict) and (i.get("name") or "").strip()]


def _portal_fee(fee: dict) -> str | None:
    value = fee.get("value")
    if isinstance(value, (int, float)) and value > 0:
        return f"{value:,.0f} đồng".replace(",", ".")
    description = (fee.get("description") or "").strip()
    if value == 0 and not description:
        return "Miễn phí"
    return description or None


def _portal_channels(data: dict) -> list[dict]:
    channels = []
    for method in data.get("executionMethods") or []:
        kind = _PORTAL_METHODS.get(method.get("submissionMethod"))
        if kind is None:
            continue
        amount, unit = method.get("processingTime"), _PORTAL_UNITS.get(method.get("processingTimeUnit"))
        duration = f"{amount} {unit}" if amount and unit else None
        fees = [f for f in (_portal_fee(fee) for fee in method.get("fees") or []) if f]
        channels.append({"method": kind, "duration": duration, "fee": "; ".join(fees) or None,
                         "note": (method.get("description") or "").strip() or None})
    return channels


def _portal_documents(data: dict) -> tuple[str | None, list[dict]]:
    lines: list[str] = []
    items: list[dict] = []
    for case in data.get("executionCases") or []:
        group = (case.get("name") or "").strip(" *:") or None
        if group:
            lines.append(group + ":")
        for comp in case.get("profileComponents") or []:
            name = (comp.get("name") or "").strip().lstrip("-+ ").strip()
            if not name:
                continue
            quantities = []
            if comp.get("originalQty"):
                quantities.append(f"{comp['originalQty']} bản chính")
            if comp.get("copyQty"):
                quantities.append(f"{comp['copyQty']} bản sao")
            quantity = ", ".join(quantities) or None
            items.append({"name": name, "quantity": quantity, "group": group})
            lines.append(f"- {name}" + (f" ({quantity})" if quantity else ""))
    return ("\n".join(lines) or None), items


def portal_to_record(payload: Any) -> dict:
    """Map one portal API response ``{code, data, message}`` onto the interchange fields."""
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
        raise RecordError("data", "portal response without a data object")
    data = payload["data"]
    levels = [lv for flag, lv in (("isMinistry", "Cấp bộ"), ("isProvince", "Cấp tỉnh"), ("isWard", "Cấp xã"),
                                  ("isOtherAgency", "Cơ quan khác")) if data.get(flag)]
    proposal = data.get("procedureProposal") or {}
    issuing = ((proposal.get("issuingAgency") or {}).get("name") or data.get("departmentPromulgateName") or None)
    agencies = _names(data.get("unitGroupsExecuting")) + _names(data.get("departmentsExecuting"))
    steps = "\n".join((s.get("description") or "").strip() for s in data.get("executionSteps") or []
                      if (s.get("description") or "").strip()) or None
    documents, items = _portal_documents(data)
    channels = _portal_channels(data)
    province = None
    if proposal.get("proposalType") == "SPECIFIC" and issuing:
        match = _PROVINCE_RE.search(issuing)
        province = match.group(1).strip() if match else None
    online_level = "full" if data.get("isFullProcess") else ("partial" if any(
        c["method"] == "online" for c in channels) else None)
    portal_id = data.get("id")
    return {
        "code": data.get("code") or data.get("codeNotation"),
        "name": data.get("name"),
        "field": (data.get("category") or {}).get("name"),
        "levels": levels,
        "issuing_body": issuing,
        "agencies": list(dict.fromkeys(agencies)),
        "decision": proposal.get("proposalNumber") or data.get("decisionNo") or None,
        "kind": _PORTAL_KINDS.get(data.get("formalityType")),
        "subjects": _names(data.get("subjectTypesDetails")),
        "channels": channels,
        "steps": steps,
        "documents": documents,
        "document_items": items,
        "requirements": (data.get("requirementsAndConditions") or "").strip() or None,
        "results": "; ".join(_names(data.get("resultsDetails"))) or None,
        "legal_basis": [{"code": (lb.get("code") or None), "title": lb["name"].strip()}
                        for lb in data.get("legalBasisesDetails") or [] if (lb.get("name") or "").strip()],
        "online_level": online_level,
        "province": province,
        "status": data.get("state"),
        "source_url": f"https://dichvucong.gov.vn/thu-tuc-hanh-chinh/{portal_id}" if portal_id else None,
        "source": PORTAL_SOURCE_TAG,
    }


# --- reading files --------------------------------------------------------------------------------


def _expand_paths(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in (".jsonl", ".json") and p.is_file())
    return [path]


def _read_jsonl(path: Path, report: ImportReport) -> Iterator[tuple[int, Procedure]]:
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            report.read += 1
            try:
                yield number, validate_record(json.loads(line))
            except json.JSONDecodeError as exc:
                report.rejected.append(Rejection(str(path), number, "<json>", f"invalid JSON: {exc.msg}"))
            except RecordError as exc:
                report.rejected.append(Rejection(str(path), number, exc.field, exc.reason))


def _read_portal_json(path: Path, report: ImportReport) -> Iterator[tuple[int, Procedure]]:
    report.read += 1
    try:
        payload = json.loads(path.read_text(encoding="utf-8", errors="replace"))
        yield 1, validate_record(portal_to_record(payload))
    except json.JSONDecodeError as exc:
        report.rejected.append(Rejection(str(path), exc.lineno, "<json>", f"invalid JSON: {exc.msg}"))
    except RecordError as exc:
        report.rejected.append(Rejection(str(path), 1, exc.field, exc.reason))


def merge_procedure(old: Procedure, new: Procedure) -> Procedure:
    """Later catalog wins field by field where it says something; empty fields keep the earlier value."""
    merged = old.to_dict()
    for key, value in new.to_dict().items():
        if value not in (None, "", []):
            merged[key] = value
    merged["detail"] = "full" if (merged["steps"] or merged["documents"]) else "summary"
    return Procedure(**merged)


def load_catalogs(paths: list[Path] | list[str],
                  records: MutableMapping[str, Procedure] | None = None) -> ImportReport:
    """Import and combine catalogs; see the module docstring. The procedures end up in report.procedures;
    given `records` (the index build passes a compact `records.RecordStore`), they are kept there by code
    and report.procedures is a view of them."""
    report = ImportReport()
    by_code: MutableMapping[str, Procedure] = {} if records is None else records
    for root in paths:
        root = Path(root)
        if not root.exists():
            report.rejected.append(Rejection(str(root), 0, "<file>", "path does not exist"))
            continue
        for path in _expand_paths(root):
            report.files.append(str(path))
            reader = _read_jsonl if path.suffix == ".jsonl" else _read_portal_json
            seen_in_file: set[str] = set()
            for line, procedure in reader(path, report):
                if procedure.code in seen_in_file:
                    report.rejected.append(Rejection(str(path), line, "code",
                                                     f"duplicate code {procedure.code} in the same file"))
                    continue
                seen_in_file.add(procedure.code)
                report.kept += 1
                if procedure.code in by_code:
                    report.merged += 1
                    by_code[procedure.code] = merge_procedure(by_code[procedure.code], procedure)
                else:
                    by_code[procedure.code] = procedure
    report.procedures = list(by_code.values()) if records is None else by_code.values()
    return report
