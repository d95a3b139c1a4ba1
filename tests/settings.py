"""Production settings with DEBUG off, as the tests should see them, plus a key for tests."""

import os

os.environ.setdefault("SECRET_KEY", "kiteline-tests-only-secret-key")

from kiteline.settings import *  # noqa: F403

# Hashing a password with argon2 at full cost in every test adds minutes and proves nothing.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
