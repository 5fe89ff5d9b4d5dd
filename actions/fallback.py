"""action_fallback: the message was not understood (nlu_fallback or no rule applies).

The NLU falls back when two intents tie ("thế còn giấy khai sinh thì mất bao lâu?": ask_procedure or
ask_duration?), yet the message may name a procedure perfectly well. So an nlu_fallback message is first
searched as a general question (the app reads the aspect from the words); only when the search finds
nothing does the two-tier fallback answer. Keyboard mash flagged by the NLU gate is never searched.
"""
from __future__ import annotations

from typing import Any, Callable

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.app_client import AppClient, AppUnavailable, default_client
from actions.dialogue_logic import should_search_fallback
from actions.procedures import relay_answer
from actions.replies import send_fallback
from actions.settings import ActionSettings, load_settings


class ActionFallback(Action):
    client_factory: Callable[[ActionSettings], AppClient] = staticmethod(default_client)

    def name(self) -> str:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        settings = load_settings()
        if should_search_fallback(tracker.latest_message):
            events = await self._answer_as_question(dispatcher, tracker, settings)
            if events is not None:
                return events
        return send_fallback(dispatcher, tracker, settings)

    async def _answer_as_question(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  settings: ActionSettings) -> list | None:
        """The app's answer when it found a procedure (or candidates), else None."""
        try:
            response = await self.client_factory(settings).answer(
                sender=tracker.sender_id, question=tracker.latest_message.get("text") or "", aspect="general",
                procedure_code=tracker.get_slot("procedure_code"), part=1)
        except AppUnavailable:
            return None  # the two-tier fallback still offers the officer and the hotline
        return relay_answer(dispatcher, response, "general")
