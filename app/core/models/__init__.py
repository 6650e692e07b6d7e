"""Models: the catalog, GGUF inspection, downloads, the registry of installed models."""
