"""Load a GGUF with Enclave's own llama.cpp bindings and generate one token, in a child process.

    python -m tests.helpers.gguf_load_child MODEL.gguf

Exit 0 with `ok` on stdout: the model works. Exit 1 with `error: ...`: a clear refusal (the
header check or llama.cpp's own error). Anything else — killed by a signal (an abort, a
segfault), a timeout, running out of the address space the parent allows — is a finding.
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path

ADDRESS_SPACE = 6 << 30  # an "unbounded allocation" fails here instead of swapping the machine


def main(path: Path) -> int:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    from app.core.errors import EnclaveError
    from app.core.llama_native import (
        NativeContext,
        NativeError,
        NativeModel,
        SamplerChain,
        init_backend,
    )
    from app.core.models.admission import check_model_file
    from app.core.types import GenerationParams

    init_backend()
    try:
        check_model_file(path)
        model = NativeModel(path, 0)
    except (EnclaveError, NativeError) as exc:
        print(f"error: {exc}")
        return 1
    try:
        ctx = NativeContext(model, 128, 32, 1)
    except NativeError as exc:
        print(f"error: {exc}")
        return 1
    tokens = model.tokenize("Hello", add_special=True, parse_special=True) or [0]
    try:
        ctx.decode(tokens[:16], 0, logits_last=True)
        chain = SamplerChain(GenerationParams(temperature=0.0, seed=1), model.n_vocab)
        token = chain.sample(ctx)
    except NativeError as exc:
        print(f"error: {exc}")
        return 1
    print(f"ok {token}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
