"""WSGI entry point for bench/reader_bench.py: the app with bench/settings.py."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

from config.wsgi import application  # noqa: F401
