"""Sending ready messages from the app and the shared fallback reply."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.dialogue_logic import consecutive_fallback_count, fallback_tier
from actions.settings import ActionSettings


def send_app_messages(dispatcher: CollectingDispatcher, messages: list[dict[str, Any]]) -> None:
    for message in messages:
        buttons = [{"title": b["title"], "payload": b["payload"]} for b in message.get("buttons") or []]
        dispatcher.utter_message(text=message.get("text", ""), buttons=buttons or None)


def send_fallback(dispatcher: CollectingDispatcher, tracker: Tracker, settings: ActionSettings) -> list[SlotSet]:
    """Two tiers; the counter of consecutive misunderstandings tells which, so "rephrase" never repeats."""
    previous = consecutive_fallback_count(tracker.events, tracker.get_slot("fallback_count"))
    count, response = fallback_tier(previous, settings.handoff_after)
    dispatcher.utter_message(response=response, hotline=settings.hotline)
    return [SlotSet("fallback_count", float(count))]


def send_unavailable(dispatcher: CollectingDispatcher, settings: ActionSettings) -> None:
    dispatcher.utter_message(response="utter_service_unavailable", hotline=settings.hotline)
