"""action_fallback: the message was not understood (nlu_fallback or no rule applies)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.replies import send_fallback
from actions.settings import load_settings


class ActionFallback(Action):
    def name(self) -> str:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        return send_fallback(dispatcher, tracker, load_settings())
