"""Enclave's local OpenAI-compatible API (`enclave serve`): a front end, like the window and the
command line, over the same conversation service and policy gate (app.core.chat).

Bound to 127.0.0.1 only, a bearer token required (a 0600 file in the data directory), forbidden
by the policy's `[api] enabled = false`. Requests queue on the one model thread, behind other
work; a client that goes away cancels its generation.
"""
