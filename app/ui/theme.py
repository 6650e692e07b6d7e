"""Light and dark looks: Fusion style, a matching palette and one stylesheet template.

"system" follows the desktop's colour scheme when Qt can read it, else light. Colours live in
one table per look so the stylesheet (resources/styles/enclave.qss) and the Markdown code theme
always agree.
"""

from __future__ import annotations

from string import Template

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from app.core.config.paths import resources_dir
from app.ui.markdown_render import DARK_CODE, LIGHT_CODE, CodeTheme

LIGHT = {
    "window": "#ffffff",
    "text": "#1f2328",
    "muted": "#656d76",
    "sidebar": "#f6f7f9",
    "border": "#e3e6ea",
    "hover": "#eceef1",
    "selected": "#e4e7fb",
    "accent": "#4f46e5",
    "accent_hover": "#4338ca",
    "accent_text": "#ffffff",
    "user_bubble": "#eef0fd",
    "input": "#ffffff",
    "danger": "#c62828",
    "card": "#f8f9fb",
}
DARK = {
    "window": "#1d1e21",
    "text": "#e7e9ec",
    "muted": "#9aa0a8",
    "sidebar": "#16171a",
    "border": "#33363c",
    "hover": "#2a2c31",
    "selected": "#2f3256",
    "accent": "#818cf8",
    "accent_hover": "#a5b4fc",
    "accent_text": "#111216",
    "user_bubble": "#2a2d45",
    "input": "#25272b",
    "danger": "#ef5350",
    "card": "#222428",
}


def resolve_theme(setting: str) -> str:
    if setting in ("light", "dark"):
        return setting
    hints = QGuiApplication.styleHints()
    scheme = hints.colorScheme() if hints is not None else Qt.ColorScheme.Unknown
    return "dark" if scheme == Qt.ColorScheme.Dark else "light"


def colors(theme: str) -> dict[str, str]:
    return DARK if theme == "dark" else LIGHT


def code_theme(theme: str) -> CodeTheme:
    return DARK_CODE if theme == "dark" else LIGHT_CODE


def apply_theme(app: QApplication, setting: str) -> str:
    """Style the whole application; returns the look in effect ("light" or "dark")."""
    theme = resolve_theme(setting)
    c = colors(theme)
    app.setStyle("Fusion")
    app.setPalette(_palette(c))
    font = QFont(app.font())
    font.setPointSizeF(max(font.pointSizeF(), 10.5))
    app.setFont(font)
    qss = (resources_dir() / "styles" / "enclave.qss").read_text(encoding="utf-8")
    app.setStyleSheet(Template(qss).safe_substitute(c))
    app.setProperty("enclaveTheme", theme)
    return theme


def current_theme() -> str:
    app = QApplication.instance()
    return str(app.property("enclaveTheme") or "light") if app else "light"


def _palette(c: dict[str, str]) -> QPalette:
    p = QPalette()
    role = QPalette.ColorRole
    p.setColor(role.Window, QColor(c["window"]))
    p.setColor(role.WindowText, QColor(c["text"]))
    p.setColor(role.Base, QColor(c["input"]))
    p.setColor(role.AlternateBase, QColor(c["sidebar"]))
    p.setColor(role.Text, QColor(c["text"]))
    p.setColor(role.Button, QColor(c["card"]))
    p.setColor(role.ButtonText, QColor(c["text"]))
    p.setColor(role.Highlight, QColor(c["accent"]))
    p.setColor(role.HighlightedText, QColor(c["accent_text"]))
    p.setColor(role.ToolTipBase, QColor(c["card"]))
    p.setColor(role.ToolTipText, QColor(c["text"]))
    p.setColor(role.PlaceholderText, QColor(c["muted"]))
    p.setColor(role.Link, QColor(c["accent"]))
    p.setColor(role.Mid, QColor(c["border"]))
    for group_role in (role.Text, role.WindowText, role.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, group_role, QColor(c["muted"]))
    return p
