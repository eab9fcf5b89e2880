"""The real settings plus one bench-only page (bench/urls.py); used by bench/reader_bench.py."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
