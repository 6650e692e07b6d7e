"""The window's commands, their keyboard shortcuts and the menu bar, in one place."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

EXPORT_FORMATS = ("md", "html", "pdf", "json")


class Actions(QObject):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window

        def act(shortcuts: list[QKeySequence | str] | None = None) -> QAction:
            action = QAction(window)
            if shortcuts:
                action.setShortcuts([QKeySequence(s) for s in shortcuts])
            window.addAction(action)  # shortcuts work even with the menu bar hidden
            return action

        std = QKeySequence.StandardKey
        self.new_chat = act([QKeySequence(std.New)])
        self.search = act(["Ctrl+K", QKeySequence(std.Find)])
        self.settings = act(["Ctrl+,", QKeySequence(std.Preferences)])
        self.stop = act(["Esc"])
        self.import_json = act()
        self.export = {fmt: act() for fmt in EXPORT_FORMATS}
        self.rename = act(["F2"])
        self.delete = act()
        self.delete_all = act()
        self.quit = act([QKeySequence(std.Quit), "Ctrl+Q"])
        self.model_manager = act(["Ctrl+M"])
        self.about = act()
        self._build_menus()
        self.retranslate()

    def _build_menus(self) -> None:
        bar = self.window.menuBar()
        self.file_menu = bar.addMenu("")
        self.file_menu.addAction(self.new_chat)
        self.file_menu.addSeparator()
        self.export_menu = QMenu(self.file_menu)
        for action in self.export.values():
            self.export_menu.addAction(action)
        self.file_menu.addMenu(self.export_menu)
        self.file_menu.addAction(self.import_json)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.quit)
        self.edit_menu = bar.addMenu("")
        for action in (self.search, self.rename, self.delete, self.stop):
            self.edit_menu.addAction(action)
        self.edit_menu.addAction(self.delete_all)
        self.edit_menu.addSeparator()
        self.edit_menu.addAction(self.settings)
        self.models_menu = bar.addMenu("")
        self.models_menu.addAction(self.model_manager)
        self.help_menu = bar.addMenu("")
        self.help_menu.addAction(self.about)

    def retranslate(self) -> None:
        self.file_menu.setTitle(self.tr("&File"))
        self.edit_menu.setTitle(self.tr("&Edit"))
        self.models_menu.setTitle(self.tr("&Models"))
        self.help_menu.setTitle(self.tr("&Help"))
        self.export_menu.setTitle(self.tr("&Export conversation"))
        self.new_chat.setText(self.tr("&New chat"))
        self.search.setText(self.tr("&Search conversations"))
        self.settings.setText(self.tr("Se&ttings…"))
        self.stop.setText(self.tr("S&top answer"))
        self.import_json.setText(self.tr("&Import conversation (JSON)…"))
        self.export["md"].setText(self.tr("As &Markdown…"))
        self.export["html"].setText(self.tr("As &HTML…"))
        self.export["pdf"].setText(self.tr("As &PDF…"))
        self.export["json"].setText(self.tr("As &JSON…"))
        self.rename.setText(self.tr("&Rename conversation…"))
        self.delete.setText(self.tr("&Delete conversation"))
        self.delete_all.setText(self.tr("Delete &all history…"))
        self.quit.setText(self.tr("&Quit"))
        self.model_manager.setText(self.tr("&Model manager…"))
        self.about.setText(self.tr("&About Enclave"))
