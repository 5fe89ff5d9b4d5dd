"""action_answer_procedure: every question about a procedure, answered by the app's POST /api/answer."""
from __future__ import annotations

from typing import Any, Callable

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.app_client import AppClient, AppUnavailable, default_client
from actions.dialogue_logic import aspect_for_intent, is_payload, next_part
from actions.replies import send_app_messages, send_fallback, send_unavailable
from actions.settings import ActionSettings, load_settings


def build_request(tracker: Tracker, settings: ActionSettings) -> dict[str, Any] | None:
    """What to ask the app, or None for "xem tiếp" when no procedure is remembered yet."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    text = tracker.latest_message.get("text") or ""
    code = tracker.get_slot("procedure_code")
    if intent == "ask_more":
        if not code:
            return None
        aspect = tracker.get_slot("last_aspect") or "general"
        if aspect == "general":  # "còn gì nữa" after the overview: the documents are what people need next
            return {"question": "", "aspect": "documents", "procedure_code": code, "part": 1}
        return {"question": "", "aspect": aspect, "procedure_code": code,
                "part": next_part(tracker.get_slot("doc_part"))}
    return {"question": "" if is_payload(text) else text, "aspect": aspect_for_intent(intent, settings.aspects),
            "procedure_code": code, "part": 1}


def slots_after_answer(response: dict[str, Any], aspect: str) -> list[SlotSet]:
    procedure = response.get("procedure") or {}
    return [
        SlotSet("procedure_code", procedure.get("code")),
        SlotSet("procedure_name", procedure.get("name")),
        SlotSet("doc_part", float(response.get("part") or 1)),
        SlotSet("last_aspect", aspect),
        SlotSet("fallback_count", 0.0),
    ]


class ActionAnswerProcedure(Action):
    client_factory: Callable[[ActionSettings], AppClient] = staticmethod(default_client)

    def name(self) -> str:
        return "action_answer_procedure"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        settings = load_settings()
        request = build_request(tracker, settings)
        if request is None:
            dispatcher.utter_message(response="utter_ask_which_procedure")
            return []
        try:
            response = await self.client_factory(settings).answer(sender=tracker.sender_id, **request)
        except AppUnavailable:
            send_unavailable(dispatcher, settings)
            return []
        events = relay_answer(dispatcher, response, request["aspect"])
        return events if events is not None else send_fallback(dispatcher, tracker, settings)


def relay_answer(dispatcher: CollectingDispatcher, response: dict[str, Any], aspect: str) -> list[SlotSet] | None:
    """Send the app's answer (or its candidate buttons) and return the slot events; None for verdict none."""
    verdict = response.get("verdict")
    if verdict == "confident":
        send_app_messages(dispatcher, response.get("messages") or [])
        # the app may answer another aspect than asked ("general" + "mất bao lâu" -> duration)
        return slots_after_answer(response, response.get("aspect") or aspect)
    if verdict == "ambiguous":
        send_app_messages(dispatcher, response.get("messages") or [])
        return [SlotSet("fallback_count", 0.0)]
    return None
