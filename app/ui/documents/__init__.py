"""Drop-to-summarise and questions about documents, in the window (thin over app.core.documents)."""

from app.ui.documents.drop_controller import DropController

__all__ = ["DropController"]
