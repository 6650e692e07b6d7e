"""Enclave's window: Qt widgets over the Qt-free core."""
