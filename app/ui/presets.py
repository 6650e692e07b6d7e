"""System-prompt presets: named prompts the user picks per conversation.

Kept in `presets.json` in the data directory (not in settings.json: they are free text and may
be long). A corrupt file is set aside, never overwritten silently.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from app.core.atomic_write import write_text_atomic


@dataclass(frozen=True)
class Preset:
    name: str
    prompt: str


class PresetStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self, defaults: list[Preset] | None = None) -> list[Preset]:
        """The saved presets; `defaults` (written once) when there is no file yet."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            if defaults:
                self.save(defaults)
            return list(defaults or [])
        except (OSError, ValueError):
            self._set_aside()
            return list(defaults or [])
        items = raw.get("presets", []) if isinstance(raw, dict) else []
        return [
            Preset(str(item["name"]), str(item["prompt"]))
            for item in items
            if isinstance(item, dict) and item.get("name") and "prompt" in item
        ]

    def save(self, presets: list[Preset]) -> None:
        data = json.dumps({"presets": [asdict(p) for p in presets]}, indent=2, ensure_ascii=False)
        write_text_atomic(self.path, data)

    def _set_aside(self) -> None:
        with contextlib.suppress(OSError):
            self.path.replace(self.path.with_suffix(".json.corrupt"))
