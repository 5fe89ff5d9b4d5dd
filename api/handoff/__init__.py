"""Hand-over to officers: office hours, waiting/held conversation state, call-back consent records.

The lead's ConversationService calls `HandoffStore.is_held(sender)` before forwarding a message to Rasa.
The officer console uses `HandoffStore.list_waiting`, `take_over` and `release`.
"""
from api.handoff.hours import OfficeHours, parse_office_hours
from api.handoff.service import HandoffReply, HandoffService, build_handoff_service
from api.handoff.store import HandoffStore, WaitingConversation

__all__ = [
    "HandoffReply", "HandoffService", "HandoffStore", "OfficeHours", "WaitingConversation",
    "build_handoff_service", "parse_office_hours",
]
