"""Settings of the browser tests' server: the production settings, with a cheap password hash.

The server runs what production runs (DEBUG off, the strict Content-Security-Policy, hashed
static files served by WhiteNoise, django-axes); only the password hasher differs. The
production hasher costs deliberate CPU time on every login and every account created, and
the browser tests do both often; what they check does not depend on the hash.
"""

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
