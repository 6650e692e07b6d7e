"""Revision scripts, applied in order; never edit one that has shipped: add a new revision."""
