"""The window's privacy actions: "Delete all history…", the encryption switch, and the message
when the encrypted history's key is out of reach.

The rules live in the core (app.core.store.opening and erase); this module asks, shows and runs
them as jobs on the model thread, which serialises them with a reply being saved.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QMessageBox, QProgressDialog

from app.core.store.keys import KeyUnavailable


def unavailable_text(reason: str) -> str:
    """What happened, in the user's language, and what to do; nothing was deleted."""
    why = {
        "no_keyring": QCoreApplication.translate(
            "History",
            "Your conversation history is encrypted, but no system keyring is available to "
            "unlock it.",
        ),
        "locked": QCoreApplication.translate(
            "History", "Your conversation history is encrypted, and the system keyring is locked."
        ),
        "missing": QCoreApplication.translate(
            "History", "Your conversation history is encrypted, but its key is not in your keyring."
        ),
        "wrong": QCoreApplication.translate(
            "History",
            "Your conversation history is encrypted, and the key in your keyring does not open it.",
        ),
    }.get(
        reason, QCoreApplication.translate("History", "Your conversation history cannot be opened.")
    )
    return (
        why
        + " "
        + QCoreApplication.translate(
            "History",
            "Nothing was deleted. Until the key is back (unlock or restore your keyring, then "
            "restart Enclave), conversations are kept in memory only and are not saved.",
        )
    )


def warn_if_unavailable(window) -> None:
    """A non-blocking warning when the window opened on an in-memory stand-in history."""
    reason = window.store.unavailable_reason
    if reason is None:
        return
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        QCoreApplication.translate("History", "History unavailable"),
        unavailable_text(reason),
        QMessageBox.StandardButton.Ok,
        window,
    )
    box.setObjectName("HistoryUnavailable")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()


def ask_delete_all(window):
    """Confirm, then erase every conversation and document for good; returns the job (None
    when the user cancels or an answer is running)."""
    if window.controller.busy:
        QMessageBox.information(
            window,
            QCoreApplication.translate("History", "Delete all history"),
            QCoreApplication.translate("History", "Stop the current answer first."),
        )
        return None
    answer = QMessageBox.question(
        window,
        QCoreApplication.translate("History", "Delete all history"),
        QCoreApplication.translate(
            "History",
            "Delete every conversation and document for good? They are erased from this "
            "computer and cannot be recovered.",
        ),
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    if answer != QMessageBox.StandardButton.Yes:
        return None
    window.sidebar.finalize_pending()
    window.show_conversation(None)
    store = window.store
    job = window.worker.submit(lambda _ctx: store.purge_all(), "history-purge")

    # Follow-ups hang on succeeded/failed, not finished: the worker lets go of a job on
    # finished, and later slots on it could be dropped with it.
    def succeeded(counts) -> None:
        window.sidebar.refresh()
        message = QCoreApplication.translate("History", "Deleted {n} conversation(s) for good.")
        window.status.showMessage(message.format(n=counts.conversations), 8000)

    def failed(message: str) -> None:
        window.sidebar.refresh()
        QMessageBox.warning(
            window, QCoreApplication.translate("History", "Delete all history"), message
        )

    job.succeeded.connect(succeeded)
    job.failed.connect(failed)
    return job


def apply_encryption_change(window, wanted: bool):
    """Convert the open history now (a job), behind a progress dialog; returns the job, or
    None when it waits for the next start (no history file, or an answer running)."""
    from app.core.store.opening import convert_open_store

    store = window.store
    if store.path is None or window.controller.busy:
        window.status.showMessage(
            QCoreApplication.translate(
                "History", "The history will be converted when Enclave next starts."
            )
        )
        return None
    window.sidebar.finalize_pending()
    progress = QProgressDialog(
        QCoreApplication.translate("History", "Encrypting the history…")
        if wanted
        else QCoreApplication.translate("History", "Decrypting the history…"),
        "",
        0,
        0,
        window,
    )
    progress.setObjectName("HistoryConversion")
    progress.setCancelButton(None)  # a conversion is never left half-done
    progress.setWindowModality(Qt.WindowModality.WindowModal)
    progress.setMinimumDuration(0)
    policy = window.runtime.policy.history
    job = window.worker.submit(
        lambda _ctx: convert_open_store(store, policy, wanted), "history-encryption"
    )

    def succeeded(_result) -> None:  # (not on finished: see ask_delete_all)
        progress.close()
        window.sidebar.refresh()
        window.status.showMessage(
            QCoreApplication.translate("History", "The history is now encrypted.")
            if wanted
            else QCoreApplication.translate("History", "The history is no longer encrypted."),
            8000,
        )

    def failed(message: str) -> None:
        progress.close()
        window.sidebar.refresh()
        error = job.error
        text = unavailable_text(error.reason) if isinstance(error, KeyUnavailable) else message
        window.runtime.settings.update(history_encrypted=not wanted)  # what the file still is
        QMessageBox.warning(
            window, QCoreApplication.translate("History", "History encryption"), text
        )

    job.succeeded.connect(succeeded)
    job.failed.connect(failed)
    progress.open()
    return job
