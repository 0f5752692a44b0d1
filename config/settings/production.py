"""Production: the base settings hardened for HTTPS behind a proxy.

`manage.py check --deploy` is clean with these (tested).
"""

from .base import *  # noqa: F403
from .base import LOG_LEVEL, env, logging_config

LOG_JSON = env.bool("LOG_JSON", default=True)
LOGGING = logging_config(level=LOG_LEVEL, json=LOG_JSON)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Probes from compose and the load balancer speak plain HTTP to the container itself.
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
STORAGES["staticfiles"]["BACKEND"] = (  # noqa: F405
    "whitenoise.storage.CompressedManifestStaticFilesStorage"
)

# An official document is signed with the deployment's (or agency's) certificate: set
# SIGNING_PKCS12_FILE or SIGNING_CERT_FILE + SIGNING_KEY_FILE. The development certificate
# stays off unless asked for.
SIGNING_DEV_CERTIFICATE = env.bool("SIGNING_DEV_CERTIFICATE", default=False)
