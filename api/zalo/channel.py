"""The Zalo channel: accepts verified webhook events into the queue and answers them in the background.

Workers take one event at a time per citizen, run it through the conversation service (or a canned reply
for non-text events), and send the answer through the Zalo client. Every inbound event and every send
attempt with its result goes into the conversation's transcript; give-ups also go to
zalo_delivery_failures, which the officer console lists.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, AsyncIterator, Callable, TypeVar

import httpx

from api.conversations import BotMessage, Button
from api.db import Database
from api.privacy import mask_person_name, mask_pii, mask_sender
from api.settings import Settings
from api.zalo import failures
from api.zalo.buttons import ButtonMemory
from api.zalo.client import SendOutcome, Sleep, ZaloClient
from api.zalo.config import ZaloConfig, load_config
from api.zalo.events import EventKind, ZaloEvent, needs_processing, parse_event
from api.zalo.formatting import FormatLimits, offered_choices, to_outgoing
from api.zalo.ports import Conversations
from api.zalo.queue import InboundItem, InboundQueue, RedisQueue, SqliteQueue
from api.zalo.router import build_webhook_router
from api.zalo.tokens import TokenManager, TokenStore

log = logging.getLogger(__name__)

CHANNEL = "zalo"
T = TypeVar("T")

# How a non-text message appears in the transcript for officers.
NON_TEXT_LABELS = {
    "user_send_image": "[ảnh]",
    "user_send_sticker": "[nhãn dán]",
    "user_send_file": "[tệp đính kèm]",
    "user_send_audio": "[tin nhắn thoại]",
    "user_send_video": "[video]",
    "user_send_gif": "[ảnh động]",
    "user_send_location": "[vị trí]",
    "user_send_link": "[liên kết]",
    "user_send_business_card": "[danh thiếp]",
}


async def _off_loop(function: Callable[..., T], *args: Any) -> T:
    """SQLite writes wait for the file lock; keep that wait off the event loop that acknowledges webhooks."""
    return await asyncio.to_thread(function, *args)


def make_queue(settings: Settings, db: Database, config: ZaloConfig) -> InboundQueue:
    if settings.redis_url:
        return RedisQueue(
            settings.redis_url,
            shards=config.queue.workers,
            dedupe_ttl_days=config.queue.dedupe_ttl_days,
            lease_s=config.queue.lease_s,
        )
    return SqliteQueue(db, dedupe_ttl_days=config.queue.dedupe_ttl_days)


class ZaloChannel:
    def __init__(
        self,
        settings: Settings,
        conversations: Conversations,
        db: Database,
        config: ZaloConfig | None = None,
        queue: InboundQueue | None = None,
        sleep: Sleep = asyncio.sleep,
    ):
        self.settings = settings
        self.conversations = conversations
        self.db = db
        self.config = config or load_config()
        self.queue = queue or make_queue(settings, db, self.config)
        self.sleep = sleep
        self.limits = FormatLimits(
            max_text_chars=self.config.delivery.max_text_chars,
            max_buttons=self.config.delivery.max_buttons,
            max_button_title_chars=self.config.delivery.max_button_title_chars,
            more_choices_intro=self.config.replies.more_choices,
        )
        self.ignored_events = set(self.config.webhook.ignored_events)
        failures.ensure_schema(db)
        self.buttons = ButtonMemory(db)
        self.token_store = TokenStore(db, settings.zalo_access_token, settings.zalo_refresh_token)
        self._http: httpx.AsyncClient | None = None
        self._client: ZaloClient | None = None
        self._workers: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()
        self.router = build_webhook_router(self)

    # --- lifecycle ------------------------------------------------------------------------------------
    async def start(self) -> None:
        self._stopping = asyncio.Event()
        self._http = httpx.AsyncClient(timeout=self.config.delivery.request_timeout_s)
        tokens = TokenManager(
            self.token_store,
            self._http,
            self.settings.zalo_oauth_base,
            self.settings.zalo_app_id,
            self.settings.zalo_app_secret,
        )
        self._client = ZaloClient(
            self._http, self.settings.zalo_api_base, tokens, self.config.delivery, self.config.errors, self.sleep
        )
        recovered = await self.queue.recover()
        if recovered:
            log.info("re-queued %d Zalo events interrupted by the last shutdown", recovered)
        self._workers = [asyncio.create_task(self._work(slot)) for slot in range(self.config.queue.workers)]

    async def stop(self, grace_s: float = 10.0) -> None:
        """Let workers finish the event in hand (so it is not answered twice after a restart), then close."""
        self._stopping.set()
        if self._workers:
            _, still_running = await asyncio.wait(self._workers, timeout=grace_s)
            for task in still_running:
                task.cancel()
            await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []
        await self.queue.close()
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    # --- receiving ------------------------------------------------------------------------------------
    async def accept(self, body: dict[str, Any]) -> str:
        """Queue a verified event; returns "queued", "duplicate" or "ignored"."""
        event = parse_event(body, self.ignored_events)
        if not needs_processing(event):
            if event.kind is EventKind.UNKNOWN or not event.user_id:
                log.info("Zalo event %r acknowledged without processing", event.event_name[:60])
            return "ignored"
        added = await self.queue.put(InboundItem(event.dedupe_key, event.sender, body))
        if not added:
            log.info("duplicate Zalo delivery of %s for %s ignored", event.event_name, mask_sender(event.sender))
        return "queued" if added else "duplicate"

    async def _work(self, slot: int) -> None:
        keep_lease = asyncio.create_task(self._keep_lease(slot))
        try:
            while not self._stopping.is_set():
                try:
                    item = await self.queue.claim(slot, self.config.queue.poll_interval_s)
                except Exception:  # storage hiccup (locked database, Redis restart): wait and try again
                    log.exception("Zalo queue claim failed; retrying")
                    await asyncio.sleep(self.config.queue.poll_interval_s)
                    continue
                if item is None:
                    continue
                try:
                    await self.process(item)
                except asyncio.CancelledError:
                    raise  # stopped mid-answer: left unfinished, so it is re-run after the restart
                except Exception:  # one bad event must not stop the channel; the raw event stays stored
                    log.exception("Zalo event for %s failed", mask_sender(item.sender))
                await self._mark_done(item)
        finally:
            keep_lease.cancel()

    async def _mark_done(self, item: InboundItem) -> None:
        for _ in range(3):
            try:
                await self.queue.done(item)
                return
            except Exception:
                log.exception("could not mark a Zalo event done; retrying")
                await asyncio.sleep(self.config.queue.poll_interval_s)
        # Left 'processing': it is re-run after the next restart rather than lost.

    async def _keep_lease(self, slot: int) -> None:
        while True:
            await asyncio.sleep(self.config.queue.lease_s / 3)
            with contextlib.suppress(Exception):
                await self.queue.heartbeat(slot)

    # --- handling -------------------------------------------------------------------------------------
    async def process(self, item: InboundItem) -> None:
        event = parse_event(item.event, self.ignored_events)
        handlers = {
            EventKind.TEXT: self._on_text,
            EventKind.FOLLOW: self._on_follow,
            EventKind.UNFOLLOW: self._on_unfollow,
            EventKind.IMAGE: self._on_non_text,
            EventKind.NON_TEXT: self._on_non_text,
            EventKind.SUBMIT_INFO: self._on_submit_info,
        }
        handler = handlers.get(event.kind)
        if handler is not None:
            await handler(event)

    async def _on_text(self, event: ZaloEvent) -> None:
        if not event.text:
            await _off_loop(self.conversations.record, event.sender, "in", "", CHANNEL, {"zalo_msg_id": event.msg_id})
            return
        text = await _off_loop(self.buttons.resolve, event.sender, event.text)
        replies = await self.conversations.handle(event.sender, text, CHANNEL)
        if replies:
            await self._deliver(event.sender, replies)

    async def _on_follow(self, event: ZaloEvent) -> None:
        await _off_loop(self.conversations.record_event, event.sender, "follow", {"zalo_event": event.event_name})
        replies = self.config.replies
        welcome = BotMessage(
            text=replies.welcome.format(province=self.settings.province, hotline=self.settings.hotline),
            buttons=[Button(title=title, payload=title) for title in replies.welcome_menu],
        )
        await self._deliver(event.sender, [welcome], record_as="zalo_channel")

    async def _on_unfollow(self, event: ZaloEvent) -> None:
        await _off_loop(self.conversations.record_event, event.sender, "unfollow", {"zalo_event": event.event_name})

    async def _on_non_text(self, event: ZaloEvent) -> None:
        label = NON_TEXT_LABELS.get(event.event_name, f"[{event.event_name}]")
        shown = f"{label} {event.text}".strip()
        await _off_loop(
            self.conversations.record, event.sender, "in", shown, CHANNEL,
            {"zalo_event": event.event_name, "zalo_msg_id": event.msg_id, "attachments": event.attachments},
        )
        template = self.config.replies.image if event.kind is EventKind.IMAGE else self.config.replies.text_only
        reply = BotMessage(text=template.format(hotline=self.settings.hotline, province=self.settings.province))
        await self._deliver(event.sender, [reply], record_as="zalo_channel")

    async def _on_submit_info(self, event: ZaloEvent) -> None:
        phone = event.info.get("phone") or None
        name = event.info.get("name") or None
        # The citizen filled Zalo's "share information" form after the OA asked for it: consent is explicit.
        await _off_loop(self.conversations.record_callback_contact, event.sender, phone, name, True)
        await _off_loop(
            self.conversations.record_event, event.sender, "callback_contact_submitted",
            {"zalo_event": event.event_name, "has_phone": bool(phone), "name": mask_person_name(name or "")},
        )
        log.info("call-back contact from %s stored (phone given: %s)", mask_sender(event.sender), bool(phone))
        reply = BotMessage(text=self.config.replies.callback_received)
        await self._deliver(event.sender, [reply], record_as="zalo_channel")

    # --- sending --------------------------------------------------------------------------------------
    async def send_to_citizen(self, sender: str, messages: list[BotMessage], source: str = "officer") -> bool:
        """Send outside a bot turn (an officer's answer after a call); True when every part was delivered."""
        if not sender.startswith(f"{CHANNEL}:"):
            raise ValueError("not a Zalo conversation")
        return await self._deliver(sender, messages, record_as=source)

    async def _deliver(self, sender: str, replies: list[BotMessage], record_as: str | None = None) -> bool:
        """Send replies in order; stop at the first give-up so the citizen never gets a later part alone.

        `record_as` names who wrote replies that the conversation service has not stored yet (canned replies,
        officers); the bot's replies are already in the transcript.
        """
        if self._client is None:
            raise RuntimeError("ZaloChannel.start() must run before anything is sent")
        user_id = sender.removeprefix(f"{CHANNEL}:")
        choices: dict[str, str] = {}
        for reply in replies:
            choices.update(offered_choices(reply, self.limits))
        await _off_loop(self.buttons.remember, sender, choices)
        outgoing = [(reply, message) for reply in replies for message in to_outgoing(reply, self.limits)]
        for index, (reply, message) in enumerate(outgoing):
            if record_as and (index == 0 or outgoing[index - 1][0] is not reply):
                await _off_loop(
                    self.conversations.record, sender, "out", reply.text, CHANNEL,
                    {"buttons": [b.model_dump() for b in reply.buttons], "source": record_as},
                )
            outcome = await self._client.send(user_id, message)
            await _off_loop(self._record_attempts, sender, outcome, index, len(outgoing))
            if not outcome.ok:
                unsent = "\n".join(m.text for _, m in outgoing[index:])
                await _off_loop(self._record_give_up, sender, outcome, unsent)
                return False
        return True

    def _record_attempts(self, sender: str, outcome: SendOutcome, index: int, total: int) -> None:
        for attempt in outcome.attempts:
            self.conversations.record(
                sender, "event", "zalo_send", CHANNEL,
                {
                    "part": index + 1, "parts": total, "attempt": attempt.number, "ok": attempt.ok,
                    "error": attempt.error_code, "http_status": attempt.http_status,
                    "message": mask_pii(attempt.message), "zalo_message_id": attempt.zalo_message_id,
                },
            )

    def _record_give_up(self, sender: str, outcome: SendOutcome, unsent_text: str) -> None:
        last = outcome.last
        failure_id = failures.record_delivery_failure(
            self.db,
            failures.DeliveryFailure(
                sender=sender,
                reason=outcome.reason,
                error_code=last.error_code if last else None,
                error_message=outcome.note or (last.message if last else ""),
                text=unsent_text,
                attempts=len(outcome.attempts),
            ),
        )
        self.conversations.record(
            sender, "event", "zalo_delivery_failed", CHANNEL,
            {"delivery": "failed", "reason": outcome.reason, "failure_id": failure_id,
             "error": last.error_code if last else None},
        )
