"""The model manager window (see `dialog.ModelManagerDialog`)."""

from app.ui.models.dialog import ModelManagerDialog

__all__ = ["ModelManagerDialog"]
