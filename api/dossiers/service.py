"""Dossier lookup for citizens: code shape → lock check → one-stop system → second factor → masked answer.

Order matters: a locked sender never reaches the one-stop system, and both an unknown code and wrong digits
count as failed checks, so the bot cannot be used to probe which codes exist or to guess the digits.
"""
from __future__ import annotations

import hmac
import logging
from datetime import datetime
from typing import Callable, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from api.db import Database
from api.dossiers.adapter import OneStopClient, UpstreamError
from api.dossiers.codes import normalise_code, normalise_last4, phone_last4
from api.dossiers.limits import AttemptLimiter, load_rules
from api.dossiers.messages import DossierReplies, load_replies, vietnamese_wait
from api.dossiers.view import DossierView, build_view
from api.privacy import mask_pii, mask_sender
from api.settings import Settings

log = logging.getLogger(__name__)

Outcome = Literal["found", "not_found", "mismatch", "locked", "invalid_code", "upstream_error"]


class LookupResult(BaseModel):
    outcome: Outcome
    dossier: DossierView | None = None
    retry_after_s: int | None = None  # set when locked, including by the failure just made
    message: str


class DossierLookupService:
    def __init__(
        self,
        client: OneStopClient,
        limiter: AttemptLimiter,
        replies: DossierReplies,
        zone: ZoneInfo,
        clock: Callable[[], datetime],
    ):
        self.client = client
        self.limiter = limiter
        self.replies = replies
        self.zone = zone
        self.clock = clock

    async def lookup(self, sender: str, raw_code: str | None, raw_last4: str | int | None) -> LookupResult:
        code = normalise_code(raw_code)
        if code is None:
            return LookupResult(outcome="invalid_code", message=self.replies.text("invalid_code"))
        retry_after = self.limiter.retry_after_s(sender)
        if retry_after is not None:
            log.info("dossier lookup refused, sender locked: sender=%s", mask_sender(sender))
            return LookupResult(
                outcome="locked", retry_after_s=retry_after,
                message=self.replies.text("locked", wait=vietnamese_wait(retry_after)),
            )
        last4 = normalise_last4(raw_last4)
        if last4 is None:
            # Asked again before any upstream call: a malformed answer reveals nothing, so it is not counted.
            return LookupResult(outcome="mismatch", message=self.replies.text("invalid_last4"))
        try:
            dossier = await self.client.fetch(code)
        except UpstreamError as exc:
            log.warning("one-stop system unavailable for code=%s: %s", code, mask_pii(str(exc)))
            return LookupResult(outcome="upstream_error", message=self.replies.text("upstream_error"))
        if dossier is None:
            return self._failed(sender, code, "not_found")
        registered = phone_last4(dossier.phone)
        if registered is None or not hmac.compare_digest(registered, last4):
            return self._failed(sender, code, "mismatch")
        now = self.clock().astimezone(self.zone).replace(tzinfo=None)
        view = build_view(dossier, now, self.zone, self.replies.default_documents, self.replies.default_results)
        log.info("dossier found: sender=%s code=%s status=%s", mask_sender(sender), code, view.status_code)
        return LookupResult(outcome="found", dossier=view, message=self.replies.found(view, now))

    def _failed(self, sender: str, code: str, outcome: Outcome) -> LookupResult:
        lock_s = self.limiter.record_failure(sender, code, outcome)
        left = self.limiter.failures_left(sender) if lock_s is None else 0
        return LookupResult(
            outcome=outcome, retry_after_s=lock_s, message=self.replies.failed(outcome, code, left, lock_s)
        )


def build_lookup_service(
    settings: Settings, db: Database, clock: Callable[[], datetime] | None = None
) -> DossierLookupService:
    """The service wired from Settings: the one-stop system at settings.resolved_dossier_api_url."""
    zone = ZoneInfo(settings.timezone)
    now = clock or (lambda: datetime.now(zone))
    client = OneStopClient(
        settings.resolved_dossier_api_url, settings.dossier_api_token,
        settings.dossier_unit_code, settings.dossier_api_timeout_s,
    )
    limiter = AttemptLimiter(db, load_rules(), clock=lambda: now().timestamp())
    replies = DossierReplies(load_replies(), province=settings.province, hotline=settings.hotline)
    return DossierLookupService(client, limiter, replies, zone, now)
