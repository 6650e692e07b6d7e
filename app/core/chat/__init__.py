"""The conversation service and the policy gate: every chat rule, written once.

The window (app.ui.chat_controller), the command line (app.cli.chat_cmd) and the local API are
thin adapters over `ConversationService`; every model load goes through `ModelLoader`.
"""

from app.core.chat.gate import PolicyGate
from app.core.chat.loader import ModelLoader
from app.core.chat.model_choice import ModelChoice
from app.core.chat.service import ConversationService, Turn, TurnEvent, TurnFailed, TurnResult

__all__ = [
    "ConversationService",
    "ModelChoice",
    "ModelLoader",
    "PolicyGate",
    "Turn",
    "TurnEvent",
    "TurnFailed",
    "TurnResult",
]
