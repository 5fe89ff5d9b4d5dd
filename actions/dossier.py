"""Dossier lookup: the form asks the code and the last 4 phone digits; the app checks and answers."""
from __future__ import annotations

from typing import Any, Callable

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.app_client import AppClient, AppUnavailable, default_client
from actions.dialogue_logic import extract_last4, normalize_dossier_code
from actions.replies import send_unavailable
from actions.settings import ActionSettings, load_settings

# After wrong digits the code is kept, so the citizen only sends the digits again (the app counts attempts).
KEEP_CODE_OUTCOMES = {"mismatch"}


class ValidateDossierLookupForm(FormValidationAction):
    def name(self) -> str:
        return "validate_dossier_lookup_form"

    def validate_dossier_code(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: dict[str, Any]) -> dict[str, Any]:
        code = normalize_dossier_code(value)
        if code is None:
            dispatcher.utter_message(response="utter_invalid_dossier_code")
        return {"dossier_code": code}

    def validate_phone_last4(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: dict[str, Any]) -> dict[str, Any]:
        digits = extract_last4(value)
        if digits is None:
            dispatcher.utter_message(response="utter_invalid_phone_last4")
        return {"phone_last4": digits}


class ActionDossierLookup(Action):
    client_factory: Callable[[ActionSettings], AppClient] = staticmethod(default_client)

    def name(self) -> str:
        return "action_dossier_lookup"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        settings = load_settings()
        code = tracker.get_slot("dossier_code")
        digits = tracker.get_slot("phone_last4")
        clear_all = [SlotSet("dossier_code", None), SlotSet("phone_last4", None), SlotSet("fallback_count", 0.0)]
        try:
            response = await self.client_factory(settings).lookup_dossier(tracker.sender_id, code, digits)
        except AppUnavailable:
            send_unavailable(dispatcher, settings)
            return clear_all
        dispatcher.utter_message(text=response.get("message") or "")
        if response.get("outcome") in KEEP_CODE_OUTCOMES:
            return [SlotSet("phone_last4", None), SlotSet("fallback_count", 0.0)]
        return clear_all


class ActionDossierCancel(Action):
    def name(self) -> str:
        return "action_dossier_cancel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        dispatcher.utter_message(response="utter_dossier_cancelled")
        return [SlotSet("dossier_code", None), SlotSet("phone_last4", None)]
