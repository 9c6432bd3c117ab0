"""Settings for the test suite: the real settings, made safe and fast for tests.

Cache keys and channel-layer names get a per-process prefix so test runs sharing one
Redis (parallel renderings, xdist workers) never see each other's data.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "x" * 40)

from config.settings import *  # noqa: F403
from config.settings import CACHE_KEY_PREFIX, CACHES, CHANNEL_LAYERS

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Requests that ask for no language get English, whatever the project's default: tests that
# check another language ask for it (tests/test_translations.py).
LANGUAGE_CODE = "en"
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static files straight from the apps, looked up per request as in development: WhiteNoise
# otherwise lists every static file (the apps' and STATIC_ROOT's) each time a test client
# builds the middleware, which happens once per client.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

TEST_PREFIX = f"{CACHE_KEY_PREFIX}-test-{os.getpid()}"
CACHES["default"]["KEY_PREFIX"] = TEST_PREFIX
if "CONFIG" in CHANNEL_LAYERS["default"]:
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = TEST_PREFIX
