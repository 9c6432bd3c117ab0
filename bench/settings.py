"""Settings for the benchmarks: the project's real settings on a database of their own.

The benches never touch the project's database or cache entries: they run on
`<database>_bench` (PostgreSQL) or `bench.sqlite3` (SQLite), or on a throw-away database
in `--short` mode, and prefix their cache keys and channel names with `BENCH_PREFIX`.
Production behaviour is kept (DEBUG off, the same middleware, pool and cache backends);
only what a test client needs (no HTTPS redirect, plain static storage) is relaxed.
"""

import os
import warnings

os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)

from config.settings import *  # noqa: F403
from config.settings import ALLOWED_HOSTS, CACHE_KEY_PREFIX, CACHES, CHANNEL_LAYERS, DATABASES

DEBUG = False
if os.environ.get("BENCH_DB_NAME"):
    DATABASES["default"]["NAME"] = os.environ["BENCH_DB_NAME"]
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
BENCH_PREFIX = os.environ.get("BENCH_PREFIX", f"{CACHE_KEY_PREFIX}-bench")
CACHES["default"]["KEY_PREFIX"] = BENCH_PREFIX
if "CONFIG" in CHANNEL_LAYERS["default"]:
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = BENCH_PREFIX
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# The benches serve static files through the finders; no collectstatic folder is needed.
warnings.filterwarnings("ignore", message="No directory at")
