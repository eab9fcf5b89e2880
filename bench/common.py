"""What the benchmarks that serve the app share: production settings on loopback."""

import os
from pathlib import Path


def production_environment(data_dir: Path, **settings: str) -> dict:
    """This process's environment with DEBUG off, a throwaway key, loopback hosts and no
    TLS redirects (nothing terminates TLS on loopback), plus ``settings``."""
    env = dict(os.environ)
    env.update(
        PIZHU_DATA_DIR=str(data_dir),
        SECRET_KEY="bench-only-" + "x" * 40,
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        SECURE_HSTS_SECONDS="0",
        **settings,
    )
    return env
