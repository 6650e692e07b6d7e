"""Which language the window speaks: the setting (system | en | fr) or the system locale.

Installing a translator makes Qt send every widget a LanguageChange event; our widgets answer
it by re-setting their texts (`retranslate()`), so switching language in the settings is live.
Qt's own strings (standard buttons, context menus) come from Qt's bundled qtbase_*.qm.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from app.core.config.paths import resources_dir

SUPPORTED = ("en", "fr")


def translations_dir() -> Path:
    return resources_dir() / "translations"


def effective_language(setting: str, system_locale: QLocale | None = None) -> str:
    """The language to show: an explicit choice, else the system's if we have it, else English."""
    if setting in SUPPORTED:
        return setting
    name = (system_locale or QLocale.system()).name()  # e.g. "fr_CA"
    language = name.split("_")[0].lower()
    return language if language in SUPPORTED else "en"


class Translations:
    """Owns the installed translators; `apply()` swaps them (and so retranslates the UI)."""

    def __init__(self, app: QCoreApplication) -> None:
        self._app = app
        self.language = "en"

    @property
    def _installed(self) -> list[QTranslator]:
        # Kept on the application, so a new Translations object replaces the earlier ones.
        installed = self._app.findChildren(QTranslator, "enclave-translator")
        return list(installed)

    def apply(self, setting: str) -> str:
        language = effective_language(setting)
        for translator in self._installed:
            self._app.removeTranslator(translator)
            translator.deleteLater()
            translator.setObjectName("")
        if language != "en":
            self._install("enclave_" + language, translations_dir())
            qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
            self._install("qtbase_" + language, Path(qt_dir))
        QLocale.setDefault(QLocale(language))
        self.language = language  # removing or installing a translator sends LanguageChange
        return language

    def _install(self, name: str, directory: Path) -> None:
        translator = QTranslator(self._app)
        if translator.load(name, str(directory)):
            translator.setObjectName("enclave-translator")
            self._app.installTranslator(translator)
        else:
            translator.deleteLater()
