"""The model choice in the chat header: the installed models, each with its fit badge, and the
company servers' models, badged with the server's name.

Choosing one switches the open conversation (it remembers the model once it has loaded) and
starts loading it in the background; the status bar shows the load. A model locked by the
policy shows the choice greyed out with the reason. The list is read from the registry file
(no scan, no hashing) so opening the header never blocks.

A server whose policy entry lists no `models` offers whatever it serves: its `/v1/models` is
asked on a thread of its own (the core's probe, as `enclave servers check` does; never the
model thread, which may be generating), once per window session and again each time the list
opens. Until it answers the entry says so; a server that is down gets an "unavailable" entry
with the error as its tooltip.
"""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QWidget

from app.core.backends.servers import servers_for, user_servers_path
from app.core.default_model import DEFAULT_MODEL_NAME, DEFAULT_MODEL_SHA256, DEFAULT_MODEL_SIZE
from app.core.models.fit import RUNTIME_BYTES, MemoryEstimate, check_fit
from app.core.models.registry import Registry

if TYPE_CHECKING:  # httpx and the remote backend load on the listing thread, when needed
    from app.core.backends.probe import ServerReport

PROBE_TIMEOUTS = (3.0, 10.0)  # connect, read (s): a listing, not a reply, fails fast


class ModelPicker(QComboBox):
    modelChosen = Signal(str)  # the installed model's id (sha256:HEX for the bundled one)
    serverListed = Signal(str)  # a server's own list (or its error) has arrived and is shown
    _listed = Signal(str, object)  # from a listing thread: server name, ServerReport

    def __init__(self, runtime, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runtime = runtime
        self.setObjectName("ModelPicker")
        self.setMinimumContentsLength(18)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.activated.connect(self._on_activated)
        self._reports: dict[str, ServerReport] = {}  # this window session's server listings
        self._asking: set[str] = set()  # listings under way
        self._last: tuple[str | None, str, str | None] = (None, "", None)
        self._listed.connect(self._on_listed, Qt.ConnectionType.QueuedConnection)

    def refresh(
        self, current_sha256: str | None, current_name: str = "", current_spec: str | None = None
    ) -> None:
        """List the installed models and the company servers' (the policy's lists, or what
        each server listed when asked in the background), and select the current one, by its
        spec or sha256 (a model used from a path, not installed, is shown by its name)."""
        self._last = (current_sha256, current_name, current_spec)
        policy = self.runtime.policy
        registry = Registry(self.runtime.paths.models_dir, policy.models.directory)
        installed = [m for m in registry.installed(refresh=False) if m.present]
        entries = [(m.name, m.size, m.id, m.sha256) for m in installed]
        if not any(sha == DEFAULT_MODEL_SHA256 for *_, sha in entries):
            # The bundled model is always there, registered or not (it is assembled on use).
            spec = f"sha256:{DEFAULT_MODEL_SHA256}"
            entries.insert(0, (DEFAULT_MODEL_NAME, DEFAULT_MODEL_SIZE, spec, DEFAULT_MODEL_SHA256))
        badges = [self._badge(size) for _name, size, _spec, _sha in entries]
        notes: list[tuple[str, str]] = []  # servers without models to show: text, tooltip
        for server in self._servers():
            models = server.models or self._listed_models(server.name, notes)
            for model_id in models:
                entries.append((model_id, 0, f"{server.name}/{model_id}", ""))
                badges.append(self.tr("on server {name}").format(name=server.name))
        self.blockSignals(True)
        self.clear()
        for (name, _size, spec, _sha), badge in zip(entries, badges, strict=True):
            self.addItem(f"{name} · {badge}", spec)
        for text, tip in notes:  # not choosable: they say why a server's models are missing
            self.addItem(text, "")
            self.model().item(self.count() - 1).setEnabled(False)
            self.setItemData(self.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        specs = [spec for _name, _size, spec, _sha in entries]
        index = specs.index(current_spec) if current_spec in specs else -1
        if index < 0 and current_sha256:
            index = next((i for i, e in enumerate(entries) if e[3] == current_sha256), -1)
        if index < 0 and (current_sha256 or current_spec):
            self.addItem(current_name or self.tr("Another model"), "")
            index = self.count() - 1
        self.setCurrentIndex(index)
        self.blockSignals(False)
        locked = policy.is_locked("model")
        self.setEnabled(not locked)
        self.setToolTip(
            self.tr("Locked by your administrator's policy.")
            if locked
            else self.tr("The model this conversation uses; the badge says whether it fits in "
                         "this computer's memory (from its file size).")
        )  # fmt: skip
        self.setAccessibleName(self.tr("Model"))

    def _badge(self, size: int) -> str:
        estimate = MemoryEstimate(0, size, 0, 0, RUNTIME_BYTES)
        verdict = check_fit(estimate).verdict
        return {
            "fits": self.tr("fits"),
            "tight": self.tr("tight fit"),
            "too_big": self.tr("too big"),
        }[verdict]

    def _on_activated(self, index: int) -> None:
        model_id = self.itemData(index)
        if model_id:
            self._last = (None, self.itemText(index), model_id)  # kept if a listing lands
            self.modelChosen.emit(model_id)

    # -- the servers' own lists -----------------------------------------------------------
    def _servers(self):
        return servers_for(self.runtime.policy, user_servers_path(self.runtime.paths.data_dir))

    def _listed_models(self, name: str, notes: list[tuple[str, str]]) -> tuple[str, ...]:
        """What server `name` listed (asked for in the background the first time)."""
        report = self._reports.get(name)
        if report is None:
            self._ask(name)
            notes.append((self.tr("{server}: asking for its models…").format(server=name), ""))
            return ()
        if not report.models:
            text = self.tr("{server}: unavailable").format(server=name)
            notes.append((text, report.error))
        return tuple(report.models)

    def _ask(self, name: str) -> None:
        if name in self._asking:
            return
        self._asking.add(name)
        policy, user_file = self.runtime.policy, user_servers_path(self.runtime.paths.data_dir)
        relay = self._listed

        def ask() -> None:
            from app.core.backends.probe import ServerReport, probe
            from app.core.backends.remote import Timeouts

            try:
                report = probe(policy, name, user_file, timeouts=Timeouts(*PROBE_TIMEOUTS))
            except Exception as exc:  # whatever happens, the entry must stop "asking"
                report = ServerReport(name, error=str(exc) or type(exc).__name__)
            with contextlib.suppress(RuntimeError):  # the window closed meanwhile
                relay.emit(name, report)

        threading.Thread(target=ask, name=f"enclave-list-{name}", daemon=True).start()

    def showPopup(self) -> None:
        """Opening the list asks the servers again (cheap); the answers update it in place."""
        for server in self._servers():
            if not server.models:
                self._ask(server.name)
        super().showPopup()

    @Slot(str, object)
    def _on_listed(self, name: str, report: ServerReport) -> None:
        self._asking.discard(name)
        self._reports[name] = report
        self.refresh(*self._last)
        self.serverListed.emit(name)
