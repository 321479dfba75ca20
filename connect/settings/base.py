"""Settings shared by every environment.

Everything that differs between a laptop and production comes from the
environment (see README "Configuration"); dev.py, test.py and production.py
start from here and change only what they must.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("CONNECT_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _development_secret_key():
    """A key generated once per checkout and kept under var/, so sessions
    survive restarts without anyone committing a secret."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or _development_secret_key()
DEBUG = False
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # daphne first so `runserver` speaks ASGI (HTTP and WebSocket).
    "daphne",
    "connect",
    "notifications",
    "forum",
    "conversations",
    "spotlights",
    "resources",
    "assistance",
    "search",
    "channels",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    # The durable task queue (see connect.tasks and docs/reliability.md).
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    # First: an over-long URL costs every layer after it.
    "connect.input_limits.UrlLengthLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "connect.middleware.ContentSecurityPolicyMiddleware",
    "connect.middleware.PermissionsPolicyMiddleware",
    # Before WhiteNoise and everything that could take a NUL into a query.
    "connect.middleware.RejectNulBytesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise: static files keep their caching, nothing else is stored.
    "connect.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # allauth's list of a member's sessions, its last-seen time written at
    # most once a minute per session.
    "connect.middleware.UserSessionActivityMiddleware",
    # Messages before the access rules: both tell the member why they were
    # signed out or sent elsewhere.
    "django.contrib.messages.middleware.MessageMiddleware",
    "connect.middleware.SessionTimeoutMiddleware",
    "connect.middleware.MembersOnlyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, next to the view: only the view's own writes tell the error page
    # whether what the member submitted was saved.
    "connect.errors.WriteOutcomeMiddleware",
]

# Over-long URLs are answered 414 (connect.input_limits).
CONNECT_MAX_URL_LENGTH = 16_384
# The site's own page for a stale or missing CSRF token; it keeps the text.
CSRF_FAILURE_VIEW = "connect.errors.csrf_failure"

ROOT_URLCONF = "connect.urls"
ASGI_APPLICATION = "connect.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "connect.context_processors.site",
            ],
        },
    },
]

# --- Data -----------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
        # A persistent connection the database dropped (restart, failover,
        # idle timeout) is noticed at the start of the next request instead
        # of failing it.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Concurrent readers while daphne writes: WAL plus a busy timeout.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )
    if "DATABASE_CONN_MAX_AGE" not in os.environ:
        # Each request borrows one of a few long-lived threads (connect.handlers),
        # so a connection kept per thread is reused instead of piling up; opening
        # one costs a page more CPU than all the members-only checks.
        DATABASES["default"]["CONN_MAX_AGE"] = 60
# A bounded pool of PostgreSQL connections per process (psycopg_pool through
# Django's OPTIONS["pool"]). Under daphne every request in flight runs in a
# thread of its own and would otherwise open a connection of its own: at a few
# seconds of latency that is a hundred connections, PostgreSQL's
# max_connections is reached and replies answer 500. With a pool, a request
# waits up to DATABASE_POOL_TIMEOUT seconds for one of DATABASE_POOL_MAX_SIZE
# connections instead. 0 (the default) keeps one connection per request.
DATABASE_POOL_MAX_SIZE = int(os.environ.get("DATABASE_POOL_MAX_SIZE", "0"))
if DATABASE_POOL_MAX_SIZE and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django refuses a pool with persistent connections
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DATABASE_POOL_MAX_SIZE,
        "timeout": float(os.environ.get("DATABASE_POOL_TIMEOUT", "10")),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
# Seconds a cache read or write may wait for Redis before the request carries
# on without it (see connect.cache): a stopped or paused Redis costs a page at
# most this, once, and then the cache stays on the process's own memory for
# CONNECT_CACHE_RETRY_AFTER seconds before Redis is tried again.
CONNECT_CACHE_SOCKET_TIMEOUT = float(os.environ.get("CONNECT_CACHE_SOCKET_TIMEOUT", "0.25"))
CONNECT_CACHE_RETRY_AFTER = 10
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "connect.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "connect"),
            "OPTIONS": {
                "socket_connect_timeout": CONNECT_CACHE_SOCKET_TIMEOUT,
                "socket_timeout": CONNECT_CACHE_SOCKET_TIMEOUT,
            },
        }
    }
    # Which of channels-redis's layers carries live events between processes
    # (CONNECT_CHANNEL_LAYER=core|pubsub; figures and the choice in docs/deployment.md).
    CONNECT_CHANNEL_LAYER = os.environ.get("CONNECT_CHANNEL_LAYER", "pubsub")
    if CONNECT_CHANNEL_LAYER == "pubsub":
        CHANNEL_LAYERS = {
            "default": {
                # One PUBLISH per group message, fanned out to sockets inside each
                # process; no blocking reads on Redis, so no read timeout to outlive.
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {
                    "hosts": [{"address": REDIS_URL, "socket_connect_timeout": 1, "socket_timeout": 10}],
                    "prefix": os.environ.get("CHANNEL_PREFIX", "connect"),
                },
            }
        }
    else:
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {
                    # Short connect timeout so a stopped Redis fails a broadcast fast (posting
                    # never waits on it, see forum.live); the read timeout stays above the
                    # layer's 5-second blocking receive, or idle consumers would crash.
                    "hosts": [{"address": REDIS_URL, "socket_connect_timeout": 1, "socket_timeout": 10}],
                    "prefix": os.environ.get("CHANNEL_PREFIX", "connect"),
                },
            }
        }
else:
    # Room for every member's access version and entry (connect.access): at
    # Django's default of 300 entries, a thread with a thousand live readers
    # pushed its readers' versions out at every event, and every event read
    # their rows again.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        }
    }
    # One process: channels' in-memory layer, swept once a second (connect/channel_layers.py).
    CHANNEL_LAYERS = {"default": {"BACKEND": "connect.channel_layers.SweepingInMemoryChannelLayer"}}

# Side effects (every email, search-index updates, clean-up) are tasks stored
# in the database in the same transaction as the change they follow, and run
# by `manage.py db_worker` (see docs/reliability.md).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# A task still marked running this long after it started belonged to a worker
# that died; the next worker to start (or `manage.py tasks_recover`) runs it again.
CONNECT_TASK_STALE_AFTER = timedelta(seconds=int(os.environ.get("CONNECT_TASK_STALE_SECONDS", "600")))
# /healthz calls the queue or the search index degraded when the oldest task
# waiting to run is older than this.
CONNECT_HEALTH_MAX_TASK_DELAY = timedelta(minutes=5)

# --- Accounts ---------------------------------------------------------------
AUTH_USER_MODEL = "connect.User"
# allauth's email sign-in; the member behind a session comes from the access
# cache (connect.access), kept this many seconds at most.
AUTHENTICATION_BACKENDS = ["connect.access.CachedAuthenticationBackend"]
CONNECT_ACCESS_CACHE_TTL = 60
# Cached pieces of member pages (header counts, index panels: connect.fragments)
# are dropped by the writes that change them; this bounds an entry's life
# should a write ever miss its invalidation (a bulk update, an unreachable cache).
CONNECT_FRAGMENT_CACHE_TTL = 300
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_ADAPTER = "connect.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# Signup only with an invitation, the email fixed to the approved address.
ACCOUNT_FORMS = {"signup": "connect.forms.InvitationSignupForm"}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Task Force Connect] "
# Security notices (password changed or reset, authenticator or recovery codes
# changed) go to the member, so a change they did not make does not go unseen.
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_CHANGE_EMAIL = False
# Rate limits live in the cache, so they are shared by every daphne process
# once REDIS_URL is set. The stricter per-account lockout is in connect.lockout.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "20/m/ip,10/15m/key",
    "signup": "20/h/ip",
    "reset_password": "20/m/ip,5/h/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reauthenticate": "10/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_TOTP_ISSUER = "Task Force Connect"
MFA_FORMS = {"activate_totp": "connect.forms.StableTOTPActivateForm"}
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = False
USERSESSIONS_TRACK_ACTIVITY = True

# Every member must have an authenticator; see connect.middleware.
CONNECT_REQUIRE_MFA = env_bool("CONNECT_REQUIRE_MFA", True)
CONNECT_LOCKOUT_FAILURES = 5
CONNECT_LOCKOUT_WINDOW = timedelta(minutes=15)
CONNECT_INVITATION_TTL = timedelta(days=7)
CONNECT_SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
CONNECT_SESSION_MAX_AGE = timedelta(hours=12)
# How many reverse proxies in front of daphne append to X-Forwarded-For; the
# client address in audit events and rate limits is read that many hops from
# the right. 0 (no proxy) uses the socket address and ignores the header.
CONNECT_TRUSTED_PROXY_COUNT = int(os.environ.get("CONNECT_TRUSTED_PROXY_COUNT", "0"))

# The database backend, its read done in plain SQL (connect.sessions).
SESSION_ENGINE = "connect.sessions"
SESSION_COOKIE_AGE = int(CONNECT_SESSION_MAX_AGE.total_seconds())
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- Email ------------------------------------------------------------------
EMAIL_URL = os.environ.get("EMAIL_URL", "")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Task Force Connect <no-reply@connect.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Email is sent by the task worker, never in a request; a mail server that
# stops answering costs one attempt this long, then the task retries later.
EMAIL_TIMEOUT = 20
if EMAIL_URL:
    from connect.email_url import parse_email_url

    globals().update(parse_email_url(EMAIL_URL))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# --- Wagtail ----------------------------------------------------------------
WAGTAIL_SITE_NAME = "Task Force Connect"
# Where members write for help, shown in every page's footer.
CONNECT_HELP_EMAIL = os.environ.get("CONNECT_HELP_EMAIL", "help@connect.localhost")
# The statement materials funded under the program's cooperative agreement
# carry. The site is run for the program by its training and technical
# assistance provider, not by a federal agency, so it wears this rather than
# the federal "official website" banner.
CONNECT_FUNDING_STATEMENT = os.environ.get(
    "CONNECT_FUNDING_STATEMENT",
    "This site is supported by a cooperative agreement awarded by the Office of Justice Programs, "
    "U.S. Department of Justice. Points of view or opinions expressed on this site are those of "
    "its members and do not necessarily represent the official position or policies of the U.S. "
    "Department of Justice.",
)
# The one base URL of absolute links in emails (connect.mail) and in the admin.
CONNECT_BASE_URL = os.environ.get("CONNECT_BASE_URL", "http://127.0.0.1:8000")
WAGTAILADMIN_BASE_URL = CONNECT_BASE_URL
# The admin signs in through allauth, so MFA, lockout and rate limits apply there too.
WAGTAILADMIN_LOGIN_URL = "account_login"
WAGTAIL_FRONTEND_LOGIN_URL = "account_login"
WAGTAILUSERS_PASSWORD_ENABLED = False
WAGTAIL_PASSWORD_RESET_ENABLED = False
# Passwords and emails change through allauth only (reauthentication, other
# sessions ended, audit), never through the admin's own account pages.
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False
WAGTAIL_EMAIL_MANAGEMENT_ENABLED = False
# A shared page password is a sign-in outside allauth (no second factor, no
# lockout, no audit): moderators restrict pages to members or groups instead.
WAGTAIL_PRIVATE_PAGE_OPTIONS = {"SHARED_PASSWORD": False}
WAGTAIL_ENABLE_UPDATE_CHECK = False
# Draftail, with its editable area named by the field's label (connect/rich_text.py).
WAGTAILADMIN_RICH_TEXT_EDITORS = {"default": {"WIDGET": "connect.rich_text.LabelledDraftailRichTextArea"}}
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILEMBEDS_RESPONSIVE_HTML = True
# The search index is derived data on disk (see docs/search.md); rebuild it
# with `manage.py update_index`.
WAGTAILSEARCH_BACKENDS = {
    "default": {
        "BACKEND": "search.backends.whoosh",
        "PATH": os.environ.get("CONNECT_SEARCH_INDEX_DIR", str(VAR_DIR / "search-index")),
    },
}
TAGGIT_CASE_INSENSITIVE = True

# --- Discussions (forum) ---
FORUM_POSTS_PER_PAGE = 20
FORUM_THREADS_PER_PAGE = 25
# Live thread pages catch up from stored events; older ones are pruned hourly.
FORUM_LIVE_EVENT_KEEP_DAYS = 30
# Open sockets re-check the member's session and access this often (seconds).
FORUM_LIVE_RECHECK_SECONDS = float(os.environ.get("FORUM_LIVE_RECHECK_SECONDS", "30"))

# --- Notifications ---
# `manage.py send_digests` runs hourly; a member's daily digest is due once a day
# from this local hour, the weekly one from that hour on this weekday (0 = Monday).
NOTIFICATIONS_DIGEST_HOUR = 7
NOTIFICATIONS_WEEKLY_DIGEST_WEEKDAY = 0

# --- Static and media ---------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# WhiteNoise warns about a missing root before the first collectstatic.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", False)
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", VAR_DIR / "media"))
# Media is never served as public files: documents and images go through
# views that check membership.
MEDIA_URL = "/media/"
# Django's temporary files for large uploads live here rather than in /tmp,
# so `manage.py remove_orphaned_uploads` can find those a killed process left.
FILE_UPLOAD_TEMP_DIR = VAR_DIR / "upload-tmp"
FILE_UPLOAD_TEMP_DIR.mkdir(parents=True, exist_ok=True)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Uploads go through the 25 MB check in resources; the request itself may be slightly larger.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Spotlights, resources and events ---
# Documents go through Wagtail's serve view, which resources.wagtail_hooks
# guards (members only, counted, always an attachment).
WAGTAILDOCS_INLINE_CONTENT_TYPES = []
WAGTAILDOCS_CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "txt": "text/plain",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
}
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "xlsx", "pptx", "txt", "png", "jpg", "jpeg", "gif", "webp"]
WAGTAILIMAGES_EXTENSIONS = ["png", "jpg", "jpeg", "gif", "webp"]
# Renditions are linked under /library/media/, a members-only view; nothing
# under MEDIA_URL is ever served.
WAGTAILIMAGES_RENDITION_STORAGE = "resources.storage.MemberRenditionStorage"
RESOURCES_MAX_UPLOAD_SIZE = 25 * 1024 * 1024
# Request bodies over these sizes are refused with 413 from their
# Content-Length, before daphne or Django buffer them (connect.bodylimits);
# bodies of unknown length are counted and cut off at the same limit. Uploads
# (the library's share form, the admin's documents and images) may carry a
# 25 MB file plus the form around it; everything else fits the 2.5 MB Django
# already allows for form fields.
CONNECT_MAX_REQUEST_BODY = 3 * 1024 * 1024
CONNECT_MAX_UPLOAD_BODY = RESOURCES_MAX_UPLOAD_SIZE + 1024 * 1024
CONNECT_UPLOAD_PATH_PREFIXES = ("/library/share/", "/messages/", "/admin/documents/", "/admin/images/")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/New_York"
USE_I18N = True
USE_TZ = True

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Content-Security-Policy and Permissions-Policy (connect.middleware) ---
# Scripts and styles come only from our own static files: no inline script,
# style element, style attribute or on* handler anywhere in templates/. The
# TOTP setup page shows its QR code as a data: image. 'self' in connect-src
# covers the same-origin WebSocket of live discussions.
_CSP_SITE = {
    "default-src": [NONE],
    "script-src": [SELF],
    "style-src": [SELF],
    "img-src": [SELF, "data:"],
    "font-src": [SELF],
    "connect-src": [SELF],
    "manifest-src": [SELF],
    "media-src": [SELF],
    "form-action": [SELF],
    "frame-ancestors": [NONE],
    "frame-src": [NONE],
    "object-src": [NONE],
    "base-uri": [NONE],
    "worker-src": [NONE],
}
CONTENT_SECURITY_POLICY = {"DIRECTIVES": _CSP_SITE}
# The Wagtail admin (moderators and administrators only) writes inline scripts
# and styles of its own and frames its own page previews, without nonce
# support; under /admin/ it gets the site policy relaxed by exactly that. Its
# image editor and uploads use blob: previews. Everything else stays shut:
# no other origin for scripts, styles, frames or connections.
CONNECT_CSP_ADMIN_PREFIXES = ("/admin/",)
CONNECT_CSP_ADMIN_DIRECTIVES = {
    **_CSP_SITE,
    "script-src": [SELF, UNSAFE_INLINE],
    "style-src": [SELF, UNSAFE_INLINE],
    "img-src": [SELF, "data:", "blob:"],
    "frame-src": [SELF],
    "frame-ancestors": [SELF],
    "worker-src": [SELF, "blob:"],
}
# No admin avatar is fetched from Gravatar: it would leak a hash of each
# moderator's email to a third party, and the policy would block it anyway.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
# Browser features no page uses, switched off for the site and anything it frames.
CONNECT_PERMISSIONS_POLICY = {
    feature: ()
    for feature in (
        "accelerometer",
        "autoplay",
        "bluetooth",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}
# Security keys (WebAuthn) are offered as a second factor on our own pages.
CONNECT_PERMISSIONS_POLICY["publickey-credentials-get"] = ("self",)
CONNECT_PERMISSIONS_POLICY["publickey-credentials-create"] = ("self",)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "daphne": {"level": "WARNING"},
        # One line per task state change; `manage.py db_worker` turns it back
        # up for the worker's own output.
        "django_tasks": {"level": "WARNING"},
    },
}
CONNECT_WEBSOCKET_ROUTING = ["forum.routing", "conversations.routing"]
