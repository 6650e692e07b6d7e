"""Choosing and loading a model, the one way every front end does it.

`choose` resolves a spec and checks the allowlist on the file's own sha256 (before llama.cpp
opens anything); `load` loads the choice with its effective options (the policy gate's) unless
exactly that is loaded already, so a follow-up turn keeps the model and its KV cache.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping

from app.core.backend import Backend
from app.core.chat.gate import PolicyGate
from app.core.chat.model_choice import ModelChoice, choose_model, conversation_model_gone
from app.core.config.runtime import Runtime
from app.core.errors import Cancelled, ModelError, PolicyRefused
from app.core.models.registry import ModelSettings
from app.core.models.resolve import settings_for
from app.core.types import CancelToken, LoadOptions, ModelInfo

# What each backend holds: (path, sha256, options) and the identity of its ModelInfo, so a load
# done some other way (a new ModelInfo object) is never mistaken for ours.
_loaded: weakref.WeakKeyDictionary[object, tuple[tuple[str, str, LoadOptions], int]] = (
    weakref.WeakKeyDictionary()
)


class ModelLoader:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.audit = runtime.audit
        self.gate = PolicyGate(runtime.policy, runtime.settings, self.audit)
        self._remote: dict[str, Backend] = {}  # a company server's backend, by server name

    def backend_for(self, choice: ModelChoice, local: Backend) -> Backend:
        """The backend that runs `choice`: the local engine, or its company server's."""
        if choice.server is None:
            return local
        backend = self._remote.get(choice.server)
        if backend is None:
            from app.core.backends.remote import RemoteBackend  # httpx only when used
            from app.core.backends.servers import server_for, user_servers_path

            user_file = user_servers_path(self.runtime.paths.data_dir)
            server = server_for(self.runtime.policy, choice.server, user_file)
            backend = self._remote[choice.server] = RemoteBackend(server)
        return backend

    def choose(self, spec: str | None = None, conversation_model: str | None = None) -> ModelChoice:
        """The model for `spec` (None: the user's or the policy's default), allowlist checked.

        `conversation_model` names the conversation's own model when the spec is its: a model
        gone or refused is then explained with the way out.
        """
        spec = self.gate.current.model if spec is None else spec
        try:
            return choose_model(spec, self.runtime.paths, self.runtime.policy)
        except PolicyRefused as exc:
            self.audit.record("policy_refused", rule="models.allowlist_sha256")
            if conversation_model:
                raise conversation_model_gone(conversation_model, exc) from exc
            raise
        except ModelError as exc:
            if conversation_model:
                raise conversation_model_gone(conversation_model, exc) from exc
            raise

    def options(self, choice: ModelChoice, overrides: Mapping[str, object] | None = None):
        own = (
            settings_for(choice.path, self.runtime.paths, self.runtime.policy)
            if choice.path is not None
            else ModelSettings()
        )
        return self.gate.load_options(own, overrides or {})

    def load(
        self,
        backend: Backend,
        choice: ModelChoice,
        overrides: Mapping[str, object] | None = None,
        on_loading: Callable[[str], None] | None = None,
        on_progress: Callable[[float], None] | None = None,
        cancel: CancelToken | None = None,
    ) -> ModelInfo:
        """Load `choice` with its effective options unless exactly that is loaded already
        (`on_loading(name)` is told before a real load). A company server's model loads on
        that server's backend (see `backend_for`), `backend` being the local one.

        A backend that reports its load (`reports_load_progress`, the local engine) gets
        `on_progress(fraction)` and `cancel`; Stop before the load keeps the loaded model, Stop
        during it leaves none (Cancelled either way)."""
        backend = self.backend_for(choice, backend)
        options = self.options(choice, overrides)
        key = (str(choice.path or choice.spec), choice.sha256, options)
        info = backend.info
        if info is not None and _loaded.get(backend) == (key, id(info)):
            return info
        name = choice.name or (choice.path.name if choice.path else choice.spec)
        if on_loading is not None:
            on_loading(name)
        if cancel is not None and cancel.cancelled:
            raise Cancelled(f"Loading {name} was cancelled.")
        backend.unload()
        hooks = (
            {"on_progress": on_progress, "cancel": cancel}
            if getattr(backend, "reports_load_progress", False)
            else {}
        )
        info = backend.load(choice.path or choice.spec, options, **hooks)
        _loaded[backend] = (key, id(info))
        source = str(choice.path or choice.spec)
        self.audit.record("model_loaded", name=info.name, sha256=info.sha256, source=source)
        return info
