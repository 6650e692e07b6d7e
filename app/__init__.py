"""Enclave: a private desktop assistant that runs a local language model."""

__version__ = "0.1.0"
APP_NAME = "Enclave"
