"""Hand-over to an officer through the app's POST /api/handoff, and the call-back with consent."""
from __future__ import annotations

from typing import Any, Callable

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.app_client import AppClient, AppUnavailable, default_client
from actions.dialogue_logic import entity_value, normalize_phone
from actions.replies import send_unavailable
from actions.settings import ActionSettings, load_settings


def handoff_reason(tracker: Tracker, settings: ActionSettings) -> str:
    if int(tracker.get_slot("fallback_count") or 0) >= settings.handoff_after:
        return "bot_did_not_understand"
    return "citizen_request"


class ActionRequestHandoff(Action):
    client_factory: Callable[[ActionSettings], AppClient] = staticmethod(default_client)

    def name(self) -> str:
        return "action_request_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        settings = load_settings()
        try:
            response = await self.client_factory(settings).handoff(tracker.sender_id, handoff_reason(tracker, settings))
        except AppUnavailable:
            send_unavailable(dispatcher, settings)
            return []
        dispatcher.utter_message(text=response.get("message") or "")
        offer_callback = not response.get("in_office_hours", False)
        if offer_callback:
            dispatcher.utter_message(response="utter_offer_callback")
        return [SlotSet("handoff_requested", True), SlotSet("callback_offered", offer_callback),
                SlotSet("fallback_count", 0.0)]


class ActionCallbackConsent(Action):
    """The citizen answered "may an officer call you back?": yes asks the number, no records nothing."""

    def name(self) -> str:
        return "action_callback_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "affirm":
            dispatcher.utter_message(response="utter_ask_callback_phone")
            return [SlotSet("callback_offered", False), SlotSet("callback_consent", True)]
        dispatcher.utter_message(response="utter_callback_declined", hotline=load_settings().hotline)
        return [SlotSet("callback_offered", False), SlotSet("callback_consent", False)]


class ActionRecordCallback(Action):
    """A phone number arrives: record it only if the citizen consented just before; otherwise ask first."""

    client_factory: Callable[[ActionSettings], AppClient] = staticmethod(default_client)

    def name(self) -> str:
        return "action_record_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        if not tracker.get_slot("callback_consent"):
            dispatcher.utter_message(response="utter_ask_callback_consent")
            return [SlotSet("callback_offered", True)]
        latest = tracker.latest_message
        phone = normalize_phone(entity_value(latest, "phone_number") or latest.get("text"))
        if phone is None:
            dispatcher.utter_message(response="utter_invalid_phone")
            return []
        settings = load_settings()
        try:
            response = await self.client_factory(settings).handoff(tracker.sender_id, "callback", phone, consent=True)
        except AppUnavailable:
            send_unavailable(dispatcher, settings)
            return []
        dispatcher.utter_message(text=response.get("message") or "")
        return [SlotSet("callback_consent", False), SlotSet("handoff_requested", True)]
