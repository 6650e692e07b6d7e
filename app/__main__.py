"""`python -m app` is the `enclave` command."""

import sys

from app.cli import main

sys.exit(main())
