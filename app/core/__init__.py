"""Enclave's core: engine, store, models, documents. Never imports Qt."""
