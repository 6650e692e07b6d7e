"""Backends behind the one `Backend` protocol (app.core.backend): the local llama.cpp engine,
run in a process of its own (`local_process.ProcessEngine`, so a native crash ends only that
process), and `remote.RemoteBackend` for a company's OpenAI-compatible server (vLLM, llama.cpp's
llama-server, Ollama) named in the admin policy (`servers`)."""

from __future__ import annotations


def local_backend():  # -> ProcessEngine (imports stay lazy: the command line starts fast)
    """The backend every front end uses for local models."""
    from app.core.backends.local_process import ProcessEngine

    return ProcessEngine()
