"""PyInstaller runtime hook: load llama.cpp's CPU backend variants from inside the bundle.

The bundle's llama.cpp is built with GGML_BACKEND_DL and GGML_CPU_ALL_VARIANTS: the CPU code
is one library per instruction-set level (libggml-cpu-x64, -sse42, -haswell, -skylakex, ...)
and ggml picks the best one this CPU can run. ggml only looks for them next to the executable
and in the working directory, so point it at the bundle's llama_cpp/lib before llama.cpp
initialises (llama_backend_init then sees backends registered and skips its own search).
"""

import ctypes
import os
import sys
from pathlib import Path


def _load_ggml_backends() -> None:
    lib_dir = Path(getattr(sys, "_MEIPASS", "")) / "llama_cpp" / "lib"
    variants = [p for p in lib_dir.glob("*ggml-cpu-*") if p.suffix in (".so", ".dll", ".dylib")]
    if not variants:
        return  # a build with the CPU backend linked in: nothing to load
    names = {"win32": "ggml.dll", "darwin": "libggml.dylib"}
    libggml = lib_dir / names.get(sys.platform, "libggml.so")
    if sys.platform == "win32":
        os.add_dll_directory(str(lib_dir))
    ggml = ctypes.CDLL(str(libggml), mode=getattr(ctypes, "RTLD_GLOBAL", 0))
    ggml.ggml_backend_load_all_from_path.argtypes = [ctypes.c_char_p]
    ggml.ggml_backend_load_all_from_path.restype = None
    ggml.ggml_log_set.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    ggml.ggml_log_set.restype = None
    # ggml announces each backend it loads on stderr; keep only its errors (level 4), so the
    # command line's output stays as documented. The app installs its own logger later.
    log_fn = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)

    def errors_only(level: int, text: bytes | None, _data: object) -> None:
        if level == 4 and text and sys.stderr is not None:
            sys.stderr.write(text.decode("utf-8", "replace"))

    quiet = log_fn(errors_only)
    ggml.ggml_log_set(ctypes.cast(quiet, ctypes.c_void_p), None)
    try:
        ggml.ggml_backend_load_all_from_path(os.fsencode(lib_dir))
    finally:
        ggml.ggml_log_set(None, None)  # back to ggml's default until the app sets its own


_load_ggml_backends()
