"""Can this desktop use a company server? Reachable, TLS verified, token accepted, models.

One `GET /v1/models` answers all four: a connection refused or timed out is "unreachable", a
certificate that does not verify is a TLS failure, 401/403 a refused token, and the list itself
the models (filtered by the policy's `models`). Used by `enclave servers check` and the window.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from app.core.backends.remote import RemoteBackend, RemoteError, Timeouts
from app.core.backends.servers import server_for
from app.core.backends.tls import is_certificate_error
from app.core.config.policy import Policy
from app.core.errors import EnclaveError


@dataclass
class ServerReport:
    name: str
    url: str = ""
    source: str = "policy"
    reachable: bool | None = None  # None: not tried (the entry itself is unusable)
    tls: str = "not tried"  # "verified", "plain http (not encrypted)", "not verified", ...
    token: str = "not tried"  # "accepted", "refused", "none sent"
    models: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def probe(
    policy: Policy, name: str, user_file: Path | None = None, *, timeouts: Timeouts | None = None
) -> ServerReport:
    report = ServerReport(name)
    try:
        server = server_for(policy, name, user_file)
    except EnclaveError as exc:
        report.error = str(exc)
        return report
    report.url, report.source = server.url, server.source
    https = server.url.startswith("https:")
    backend = RemoteBackend(server, timeouts=timeouts or Timeouts(connect=5.0, read=15.0))
    try:
        report.models = [m.id for m in backend.list_models()]
    except RemoteError as exc:
        report.error = str(exc)
        cause = exc.__cause__
        if exc.status is not None:  # the server answered: reachable, TLS fine
            report.reachable = True
            report.tls = "verified" if https else "plain http (not encrypted)"
            if exc.status in (401, 403):
                report.token = "refused"
        elif cause is not None and is_certificate_error(cause):
            report.reachable, report.tls = True, "not verified (refused)"
        else:
            report.reachable = False
        return report
    finally:
        backend.close()
    report.reachable = True
    report.tls = "verified" if https else "plain http (not encrypted)"
    report.token = "accepted" if server.api_key else "none sent"
    if not report.models:
        report.error = f"The company server {name} offers no model this policy allows."
    return report
