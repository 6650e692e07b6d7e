"""Backends behind the one `Backend` protocol (app.core.backend): besides the in-process
llama.cpp engine (app.core.engine), `remote.RemoteBackend` for a company's OpenAI-compatible
server (vLLM, llama.cpp's llama-server, Ollama) named in the admin policy (`servers`)."""
