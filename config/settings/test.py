"""Test settings: the same stack, faster hashing, e-mail kept in memory."""

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = VAR_DIR / "test-media"  # noqa: F405
AXES_ENABLED = False

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not memory: the Celery worker processes started by the worker tests share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-itaflow.sqlite3")}  # noqa: F405
