"""The model manager window: installed models, the catalog, downloads, imports, removal.

A thin layer over `app.core.models.manager.ModelManager`: everything slow (listing with new
files to hash, fit checks, downloads, copies, verification) runs as a `Job` on a thread of its
own (`run_in_thread`), and results come back as signals. `modelChosen(path)` tells the main
window which model the user wants to use now; loading it is the ModelWorker's job.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.config.runtime import Runtime
from app.core.errors import EnclaveError
from app.core.models import download as dl
from app.core.models.fit import FitResult
from app.core.models.manager import ModelManager
from app.core.models.progress import Progress
from app.core.models.pull import PullPlan, UnverifiedDownload
from app.core.models.registry import InstalledModel
from app.ui.jobs import Job, JobContext, run_in_thread
from app.ui.models.progress_panel import ProgressPanel
from app.ui.models.settings_dialog import ModelSettingsDialog
from app.ui.models.tables import CatalogTable, InstalledTable


class ModelManagerDialog(QDialog):
    modelChosen = Signal(str)  # the path of the model to use now
    refreshed = Signal()  # the installed list is up to date

    def __init__(self, runtime: Runtime, worker: Any = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.runtime = runtime
        self.worker = worker  # the ModelWorker: only read, to know which model is loaded
        self.manager = ModelManager(runtime)
        self.policy = runtime.policy
        self.job: Job | None = None  # the download/import/verify shown in the panel
        self.refresh_task: Job | None = None
        self._download_args: tuple[str, str | None, bool] | None = None
        self._plan: PullPlan | None = None
        self._closing = False
        self.setWindowTitle(self.tr("Models"))
        self.setMinimumSize(860, 480)
        self.setAcceptDrops(True)
        self._build()
        self.resize(self._opening_size())
        self.refresh()

    # -- layout -------------------------------------------------------------------------
    def _opening_size(self) -> QSize:
        """Room for every column where the screen has it (left to itself, Qt opens a window
        at two thirds of the screen at most, and the table's columns did not fit)."""
        screen = self.screen().availableGeometry()
        width = min(1180, int(screen.width() * 0.9))
        height = min(640, int(screen.height() * 0.85))
        return QSize(width, height).expandedTo(self.minimumSize())

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs)
        self.tabs.addTab(self._installed_tab(), self.tr("Installed"))
        self.tabs.addTab(self._catalog_tab(), self.tr("Recommended"))
        self.progress = ProgressPanel()
        self.progress.pauseRequested.connect(self.pause_job)
        self.progress.resumeRequested.connect(self.resume_download)
        self.progress.cancelRequested.connect(self.cancel_job)
        layout.addWidget(self.progress)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName(self.tr("Status"))
        layout.addWidget(self.status)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _installed_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.table = InstalledTable()
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(lambda _index: self.use_selected())
        layout.addWidget(self.table)
        row = QHBoxLayout()
        self.use_button = QPushButton(self.tr("Use this model"))
        self.default_button = QPushButton(self.tr("Set as default"))
        self.settings_button = QPushButton(self.tr("Settings…"))
        self.rename_button = QPushButton(self.tr("Rename…"))
        self.verify_button = QPushButton(self.tr("Verify"))
        self.remove_button = QPushButton(self.tr("Remove…"))
        self.import_button = QPushButton(self.tr("Import a .gguf file…"))
        self.link_box = QCheckBox(self.tr("Link instead of copying"))
        self.link_box.setToolTip(
            self.tr(
                "Use the file where it is, without a copy in Enclave's folder; it must stay there."
            )
        )
        self.use_button.clicked.connect(self.use_selected)
        self.default_button.clicked.connect(self.set_default_selected)
        self.settings_button.clicked.connect(self.edit_settings_selected)
        self.rename_button.clicked.connect(self.rename_selected)
        self.verify_button.clicked.connect(self.verify_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        self.import_button.clicked.connect(self.choose_import)
        # The actions on two rows: on one, a 1024 px screen cut off their longer translations.
        for widget in (self.use_button, self.default_button, self.settings_button):
            row.addWidget(widget)
        row.addStretch(1)
        layout.addLayout(row)
        second_row = QHBoxLayout()
        for widget in (self.rename_button, self.verify_button, self.remove_button):
            second_row.addWidget(widget)
        second_row.addStretch(1)
        layout.addLayout(second_row)
        # Importing on a row of its own: with the actions above it, long translations of
        # "Link instead of copying" were cut off.
        import_row = QHBoxLayout()
        import_row.addWidget(self.import_button)
        import_row.addWidget(self.link_box)
        hint = QLabel(self.tr("Or drop a .gguf file on this window to import it."))
        hint.setWordWrap(True)
        import_row.addWidget(hint, 1)
        layout.addLayout(import_row)
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.hide()
        layout.addWidget(self.problems)
        if self.policy.is_locked("model"):
            self.default_button.setEnabled(False)
            self.default_button.setToolTip(self.tr("Your administrator has set the model."))
        return page

    def _catalog_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.catalog = CatalogTable()
        self.catalog.downloadRequested.connect(
            lambda entry: self.start_download(entry.id, title=entry.name)
        )
        layout.addWidget(self.catalog)
        self.url_row = QWidget()
        row = QHBoxLayout(self.url_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText(self.tr("https://…/model.gguf"))
        self.url_edit.setAccessibleName(self.tr("Address of a .gguf file"))
        self.url_button = QPushButton(self.tr("Download"))
        self.url_button.clicked.connect(self._download_url)
        row.addWidget(QLabel(self.tr("Other model:")))
        row.addWidget(self.url_edit, 1)
        row.addWidget(self.url_button)
        layout.addWidget(self.url_row)
        self.policy_note = QLabel(
            self.tr(
                "Downloads are turned off by your administrator. Ask IT to install a model, or "
                "import one from a file."
            )
        )
        self.policy_note.setWordWrap(True)
        layout.addWidget(self.policy_note)
        allowed = self.policy.network.allow_model_downloads
        self.url_row.setVisible(allowed)
        self.policy_note.setVisible(not allowed)
        return page

    # -- listing ------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the installed models and their memory fit, off the GUI thread."""
        if self.refresh_task is not None and not self.refresh_task.done:
            return
        manager = self.manager

        def work(ctx: JobContext) -> tuple[list, str | None, list[str], list[Path]]:
            rows: list[tuple[InstalledModel, FitResult | None]] = []
            for model in manager.installed():
                fit = None
                if model.present:
                    try:
                        fit = manager.fit(model)
                    except EnclaveError:
                        fit = None
                rows.append((model, fit))
            default = manager.default_model()
            return (
                rows,
                default.id if default else None,
                manager.problems,
                manager.partial_downloads(),
            )

        if not self.status.text():  # keep the outcome of the last action visible
            self.status.setText(self.tr("Reading the installed models…"))
        task = run_in_thread(work, "refresh", self)
        task.succeeded.connect(self._refreshed)
        task.failed.connect(self.status.setText)
        task.finished.connect(self._task_finished)
        self.refresh_task = task

    def _refreshed(self, result: tuple) -> None:
        rows, default_id, problems, partials = result
        self.table.set_rows(rows, default_id)
        installed = {m.sha256 for m, _ in rows if m.present} | {
            m.url for m, _ in rows if m.present and m.url
        }
        self.catalog.set_entries(
            self.manager.catalog(), installed, self.policy.network.allow_model_downloads
        )
        self.problems.setText("\n".join(problems))
        self.problems.setVisible(bool(problems))
        if self.status.text() == self.tr("Reading the installed models…"):
            self.status.clear()
        if partials and self.job is None and self._download_args is None:
            self._offer_resume(partials[0])
        self._update_buttons()
        self.refreshed.emit()

    def _offer_resume(self, part: Path) -> None:
        try:
            meta = json.loads(part.with_name(part.name + ".json").read_text(encoding="utf-8"))
            url, sha = str(meta["url"]), meta.get("sha256")
        except (OSError, ValueError, KeyError, TypeError):
            return
        name = part.name.removesuffix(".part")
        self._download_args = (url, sha, sha is None)
        self._plan = None
        self.progress.start(name, can_pause=False)
        self.progress.paused(self.tr("Unfinished download: resume it, or cancel to delete it."))

    def _update_buttons(self) -> None:
        model = self.table.selected_model()
        busy = self.job is not None
        present = model is not None and model.present
        self.use_button.setEnabled(present and not busy)
        self.settings_button.setEnabled(model is not None)
        self.rename_button.setEnabled(model is not None)
        self.verify_button.setEnabled(present and not busy)
        self.default_button.setEnabled(present and not self.policy.is_locked("model"))
        refusal = self.manager.removal_refusal(model) if model is not None else None
        self.remove_button.setEnabled(model is not None and refusal is None and not busy)
        self.remove_button.setToolTip(refusal or "")
        self.import_button.setEnabled(not busy)
        for button in self.catalog.buttons.values():
            button.setEnabled(not busy)
        self.url_button.setEnabled(not busy)

    # -- actions on the selected model --------------------------------------------------
    def use_selected(self) -> None:
        model = self.table.selected_model()
        if model is None or not model.present:
            return
        self.modelChosen.emit(str(model.path))
        self.accept()

    def set_default_selected(self) -> None:
        model = self.table.selected_model()
        if model is None:
            return
        try:
            self.manager.set_default(model)
        except EnclaveError as exc:
            self.status.setText(str(exc))
            return
        self.status.setText(self.tr("{name} is now the default model.").format(name=model.name))
        self.refresh()

    def edit_settings_selected(self) -> None:
        model = self.table.selected_model()
        if model is None:
            return
        dialog = ModelSettingsDialog(model, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            try:
                self.manager.set_settings(model, dialog.settings())
            except EnclaveError as exc:
                self.status.setText(str(exc))
                return
            self.refresh()

    def rename_selected(self) -> None:
        model = self.table.selected_model()
        if model is None:
            return
        name, ok = QInputDialog.getText(
            self,
            self.tr("Rename model"),
            self.tr("Name shown for {file} (leave empty for the name from the file):").format(
                file=model.path.name
            ),
            QLineEdit.EchoMode.Normal,
            model.name,
        )
        if not ok:
            return
        try:
            shown = self.manager.rename(model.id, name)
        except EnclaveError as exc:
            self.status.setText(str(exc))
            return
        self.status.setText(
            self.tr("{file} is now shown as {name}.").format(file=model.path.name, name=shown)
        )
        self.refresh()

    def remove_selected(self) -> None:
        model = self.table.selected_model()
        if model is None:
            return
        refusal = self.manager.removal_refusal(model)
        if refusal is not None:
            self.status.setText(refusal)
            return
        text = self.tr("Remove {name}? Its file will be deleted from {path}.").format(
            name=model.name, path=model.path
        )
        if model.placement in ("symlink", "hardlink"):
            text = self.tr(
                "Remove {name}? Only the link is deleted; the original file stays."
            ).format(name=model.name)
        if self._is_loaded(model):
            text += "\n" + self.tr(
                "It is in use now; it stays loaded until you choose another model."
            )
        answer = QMessageBox.question(self, self.tr("Remove model"), text)
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            self.manager.remove(model)
        except EnclaveError as exc:
            self.status.setText(str(exc))
            return
        self.status.setText(self.tr("{name} was removed.").format(name=model.name))
        self.refresh()

    def _is_loaded(self, model: InstalledModel) -> bool:
        info = getattr(self.worker, "model_info", None)
        return info is not None and Path(info.path) == model.path

    def verify_selected(self) -> None:
        model = self.table.selected_model()
        if model is None:
            return
        manager = self.manager

        def work(ctx: JobContext):
            return manager.verify([model], ctx.progress, ctx.cancel)[0]

        def done(result) -> None:
            if result.ok:
                self.status.setText(
                    self.tr("{name}: the checksum matches.").format(name=model.name)
                )
            else:
                self.status.setText(
                    self.tr("{name} is damaged: {problem}").format(
                        name=model.name, problem=result.message
                    )
                )

        self._start_job(
            work,
            "verify",
            self.tr("Verifying {name}").format(name=model.name),
            done,
            can_pause=False,
        )

    # -- import -------------------------------------------------------------------------
    def choose_import(self) -> None:
        paths, _filter = QFileDialog.getOpenFileNames(
            self,
            self.tr("Import a model"),
            str(Path.home()),
            self.tr("GGUF models (*.gguf);;All files (*)"),
        )
        if paths:
            self.import_files([Path(p) for p in paths])

    def import_files(self, paths: list[Path]) -> None:
        if self.job is not None:
            self.status.setText(self.tr("Wait for the current operation to finish."))
            return
        placement = "symlink" if self.link_box.isChecked() else "copy"
        manager = self.manager

        def work(ctx: JobContext) -> list[tuple[Path, object]]:
            results: list[tuple[Path, object]] = []
            for path in paths:
                if ctx.cancel.cancelled:
                    break
                try:
                    imported = manager.import_file(path, placement, ctx.progress, ctx.cancel)
                    results.append((path, imported))
                except EnclaveError as exc:  # report it and go on with the next file
                    results.append((path, exc))
            return results

        def done(results) -> None:
            lines = []
            for path, outcome in results:
                if isinstance(outcome, EnclaveError):
                    lines.append(str(outcome))
                elif outcome.already_installed:
                    lines.append(
                        self.tr("{file} is already installed as {name}.").format(
                            file=path.name, name=outcome.model.name
                        )
                    )
                else:
                    lines.append(
                        self.tr("{file} was imported as {name}.").format(
                            file=path.name, name=outcome.model.name
                        )
                    )
            self.status.setText("\n".join(lines))
            self.refresh()

        title = self.tr("Importing {file}").format(file=paths[0].name)
        self._start_job(work, "import", title, done, can_pause=False)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _gguf_paths(event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = _gguf_paths(event.mimeData().urls())
        if not paths:
            self.status.setText(self.tr("Only .gguf model files can be imported here."))
            return
        event.acceptProposedAction()
        self.tabs.setCurrentIndex(0)
        self.import_files(paths)

    # -- download -----------------------------------------------------------------------
    def _download_url(self) -> None:
        url = self.url_edit.text().strip()
        if url:
            self.start_download(url, title=url.rsplit("/", 1)[-1])

    def start_download(
        self,
        spec: str,
        sha256: str | None = None,
        allow_unverified: bool = False,
        title: str | None = None,
    ) -> None:
        if not self.policy.network.allow_model_downloads:
            self.status.setText(self.tr("Downloads are turned off by your administrator."))
            return
        if self.job is not None:
            self.status.setText(self.tr("Wait for the current operation to finish."))
            return
        self._download_args = (spec, sha256, allow_unverified)
        manager = self.manager

        def work(ctx: JobContext):
            plan = manager.plan_pull(spec, sha256=sha256, allow_unverified=allow_unverified)
            ctx.progress(plan)
            return manager.pull(plan, ctx.progress, ctx.cancel, ctx.pause)

        def done(added) -> None:
            self._download_args = None
            self._plan = None
            name = added.model.name
            self.status.setText(
                self.tr("{name} is already installed.").format(name=name)
                if added.already_installed
                else self.tr("{name} was downloaded and verified.").format(name=name)
            )
            self.refresh()

        label = self.tr("Downloading {name}").format(name=title or spec)
        self._start_job(work, "download", label, done, can_pause=True)

    def pause_job(self) -> None:
        if self.job is not None and self.job.kind == "download":
            self.progress.stopping(self.tr("Pausing…"))
            self.job.pause()

    def resume_download(self) -> None:
        if self._download_args is None or self.job is not None:
            return
        spec, sha, unverified = self._download_args
        self.start_download(spec, sha, unverified, title=self.progress.title.text())

    def cancel_job(self) -> None:
        if self.job is not None:
            self.progress.stopping(self.tr("Cancelling…"))
            self.job.cancel()
            return
        if self._download_args is not None:  # paused: cancelling deletes the partial file
            self._discard_partial()
            self._download_args = None
            self.progress.finish()
            self.status.setText(self.tr("The download was cancelled."))

    def _discard_partial(self) -> None:
        if self._plan is not None:
            dl.discard_partial(self.manager.models_dir, self._plan.file_name)
            return
        url = self._download_args[0] if self._download_args else ""
        for part in self.manager.partial_downloads():
            meta = part.with_name(part.name + ".json")
            try:
                if json.loads(meta.read_text(encoding="utf-8")).get("url") == url:
                    dl.discard_partial(self.manager.models_dir, part.name.removesuffix(".part"))
            except (OSError, ValueError):
                continue

    # -- running jobs -------------------------------------------------------------------
    def _start_job(self, fn, kind: str, title: str, on_success, can_pause: bool) -> None:
        task = run_in_thread(fn, kind, self)
        task.progress.connect(self._job_progress)
        task.succeeded.connect(on_success)
        task.failed.connect(self._job_failed)
        task.cancelled.connect(self._job_cancelled)
        task.paused.connect(self._job_paused)
        task.finished.connect(self._task_finished)
        self.job = task
        self.status.clear()
        self.progress.start(title, can_pause)
        self._update_buttons()

    def _job_progress(self, value: object) -> None:
        if isinstance(value, PullPlan):
            self._plan = value
        elif isinstance(value, Progress):
            self.progress.update_progress(value)

    def _job_failed(self, message: str) -> None:
        unverified = self.job is not None and isinstance(self.job.error, UnverifiedDownload)
        if unverified and self._download_args and not self._closing:
            spec, _sha, _unverified = self._download_args
            self.job = None
            answer = QMessageBox.question(
                self,
                self.tr("No checksum published"),
                self.tr(
                    "The server publishes no checksum for this file, so Enclave cannot "
                    "check that it arrives intact and unmodified. Download it anyway?"
                ),
            )
            if answer == QMessageBox.StandardButton.Yes:
                self.start_download(spec, None, True, title=self.progress.title.text())
                return
        if self.job is not None and self.job.kind == "download":
            self._download_args = None
        self.status.setText(message)

    def _job_cancelled(self) -> None:
        if self.job is not None and self.job.kind == "download":
            self._download_args = None
        self.status.setText(self.tr("Cancelled."))

    def _job_paused(self) -> None:
        self.progress.paused(
            self.tr("Paused. The download continues where it stopped, also after Enclave restarts.")
        )

    def _task_finished(self) -> None:
        task = self.sender()
        if task is self.job:
            self.job = None
            if not self.progress.is_paused:
                self.progress.finish()
        if task is self.refresh_task:
            self.refresh_task = None
        if isinstance(task, Job):
            task.deleteLater()
        self._update_buttons()
        if self._closing and self.job is None and self.refresh_task is None:
            super().reject()

    def reject(self) -> None:
        """Close; a running download is paused (it resumes next time), other work stops."""
        if self.job is None and self.refresh_task is None:
            super().reject()
            return
        if self.job is not None and not self._closing:
            question = (
                self.tr("A download is running. Pause it and close? It resumes next time.")
                if self.job.kind == "download"
                else self.tr("Stop the current operation and close?")
            )
            answer = QMessageBox.question(self, self.tr("Close"), question)
            if answer != QMessageBox.StandardButton.Yes:
                return
            if self.job.kind == "download":
                self.job.pause()
            else:
                self.job.cancel()
        self._closing = True  # closes when the work has stopped (see _task_finished)


def _gguf_paths(urls) -> list[Path]:
    return [
        Path(url.toLocalFile())
        for url in urls
        if url.isLocalFile() and url.toLocalFile().lower().endswith(".gguf")
    ]
