"""Local development: `make run`."""

from .base import *  # noqa: F403
from .base import EMAIL_URL, VAR_DIR

DEBUG = True
if not EMAIL_URL:
    # Emails are written to files so the invitation and verification links can
    # be opened without a mail server (see README).
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
WHITENOISE_USE_FINDERS = True
