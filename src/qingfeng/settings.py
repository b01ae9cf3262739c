"""Qingfeng settings: one file, everything from the environment (healthchecks hc/settings.py).

Production differs from development only by environment variables; see README for the list.
"""

from __future__ import annotations

import base64
import os
import tempfile
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
REPO_DIR = BASE_DIR.parent.parent


def _load_env_file(path: Path) -> None:
    """Read KEY=VALUE lines of a local .env (written by `make run`) without overriding real env."""
    if not path.is_file():
        return
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        os.environ.setdefault(key.strip(), value.strip())


_load_env_file(Path(os.environ.get("QF_ENV_FILE", REPO_DIR / ".env")))


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_secret(name: str, default: str = "") -> str:
    """A secret from NAME, or from the file named by NAME_FILE (docker/k8s secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE cannot be read: {exc}") from exc
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("QF_DEBUG", False)
TESTING = env_bool("QF_TESTING", False)

SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "insecure-development-key-do-not-use-in-production-" + "x" * 20
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set (or SECRET_KEY_FILE); `make run` writes one to .env"
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "huey.contrib.djhuey",
    "qingfeng.core",
    "qingfeng.orgs",
    "qingfeng.ledger",
    "qingfeng.intake",
    "qingfeng.evaluation",
    "qingfeng.campaigns",
    "qingfeng.reports",
    "qingfeng.oversight",
    "qingfeng.learning",
    "qingfeng.api",
]

MIDDLEWARE = [
    # Outermost, so static files (WhiteNoise) and the bad-host 400 carry the headers too.
    "qingfeng.core.middleware.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "qingfeng.core.middleware.RequestContextMiddleware",
    "qingfeng.core.capacity.LoadSheddingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "qingfeng.core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "qingfeng.core.middleware.CleanInputMiddleware",
    "qingfeng.orgs.middleware.SessionLimitsMiddleware",
    "qingfeng.orgs.middleware.AccountGateMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "qingfeng.urls"
WSGI_APPLICATION = "qingfeng.wsgi.application"

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
                "django.template.context_processors.i18n",
                "qingfeng.core.context_processors.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
# SQLite is a real database here (DESIGN.md §4): WAL, synchronous=FULL, foreign keys,
# a busy timeout and IMMEDIATE write transactions, so a burst of writers queues instead of
# failing with "database is locked".
DATA_DIR = Path(env_str("QF_DATA_DIR", str(REPO_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)  # the embedded database and queue live here
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "PRAGMA foreign_keys=ON;"
    "PRAGMA busy_timeout=10000;"
    "PRAGMA temp_store=MEMORY;"
    "PRAGMA cache_size=-65536;"
)
# Set by `serve` for its task worker process (core/management/commands/serve.py).
QF_TASK_WORKER = env_bool("QF_TASK_WORKER", False)
WORKER_PG_SESSION = "-c max_parallel_workers_per_gather=0"


def _pg_session(db: Any, setting: str) -> None:
    """Add a setting to a PostgreSQL connection's start-up options (libpq `options`)."""
    options = db.setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} {setting}".strip()


DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'qingfeng.sqlite3'}")
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["CONN_MAX_AGE"] = 0 if TESTING else _db["CONN_MAX_AGE"]
    # Django's SQLite with open connections kept per process (core/sqlite/base.py).
    _db["ENGINE"] = "qingfeng.core.sqlite"
    # Tests in memory, as with Django's own engine name (pytest-django knows only that name).
    _db.setdefault("TEST", {}).setdefault("NAME", ":memory:")
    _db["OPTIONS"] = {
        "pool_size": env_int("QF_SQLITE_POOL", 8),
        "timeout": 10,
        "transaction_mode": "IMMEDIATE",
        "init_command": SQLITE_PRAGMAS,
    }
elif _db["ENGINE"] == "django.db.backends.postgresql":
    # Django's PostgreSQL, its pool's waiting requests seen by the load shedding
    # (core/postgresql/base.py).
    _db["ENGINE"] = "qingfeng.core.postgresql"
    _db["CONN_HEALTH_CHECKS"] = True
    # At most this many connections per process, kept open in a pool and lent to one request
    # at a time (0: a connection per request, closed after DB_CONN_MAX_AGE). Under the gevent
    # web worker every waiting request would otherwise hold a connection of its own, and a
    # burst runs PostgreSQL out of connections ("too many clients") while the requests wait
    # for the processor, not for the database. A request waits up to QF_PG_POOL_WAIT seconds
    # for a connection, then is answered 503 as an overload; the wait is queue time for the
    # load shedding (core/postgresql/base.py). Size it so that every process of every host
    # fits under the server's max_connections.
    # A connection that broke (a database restart) is dropped when it comes back to the pool.
    # Tests use Django's own connections unless a test starts a server with the pool.
    QF_PG_POOL = env_int("QF_PG_POOL", 0 if TESTING else 10)
    if QF_PG_POOL > 0:
        _db["CONN_MAX_AGE"] = 0  # the pool keeps the connections (Django refuses both)
        _db["CONN_HEALTH_CHECKS"] = False
        _db.setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": QF_PG_POOL,
            "timeout": env_int("QF_PG_POOL_WAIT", 20),
        }
    _db.setdefault("TEST", {})["NAME"] = env_str("QF_PG_TEST_DB", "test_qingfeng")
    if TESTING:
        # TransactionTestCase empties every table with TRUNCATE between tests; the audit
        # table's trigger lets its owner do so only when asked (core migration 0008).
        _pg_session(_db, "-c qingfeng.audit_truncate=allow")
    if QF_TASK_WORKER:
        # The task worker runs at a lower processor priority (serve.py), but its statements
        # run in PostgreSQL's processes, which it cannot lower: it keeps each to one of them
        # (no parallel workers). A parallel scan of a month's ratings in the figures' warm-up
        # (every 2 minutes) otherwise took every core of a 2-core server for 0.6 s, and the
        # web's answers waited (bench/RESULTS.md, Evaluation, session 15).
        _pg_session(_db, WORKER_PG_SESSION)
DATABASES = {"default": _db}
# A PostgreSQL read replica for dashboards and statistics (core/replica.py): only the reads
# inside `replica.reads()` go there; without it everything reads the primary.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    _replica = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60)
    )
    _replica["CONN_HEALTH_CHECKS"] = True
    if _replica["ENGINE"] == "django.db.backends.postgresql":
        _replica["ENGINE"] = "qingfeng.core.postgresql"  # its pool's queue is seen too
    if _replica["ENGINE"] == "qingfeng.core.postgresql" and QF_TASK_WORKER:
        _pg_session(_replica, WORKER_PG_SESSION)
    if _replica["ENGINE"] == "qingfeng.core.postgresql" and _db.get("OPTIONS", {}).get("pool"):
        # The same pool as the primary's: dashboards read under gevent would otherwise hold a
        # replica connection per request in flight (core/poolcheck.py checks both fit).
        _replica["CONN_MAX_AGE"], _replica["CONN_HEALTH_CHECKS"] = 0, False
        _replica.setdefault("OPTIONS", {})["pool"] = dict(_db["OPTIONS"]["pool"])
    _replica["TEST"] = {"MIRROR": "default"}  # tests read the primary under the replica's name
    DATABASES["replica"] = _replica
DATABASE_ROUTERS = ["qingfeng.core.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and security ----------------------------------------------------------------
AUTH_USER_MODEL = "orgs.User"
# The organisation tree every scope is a subtree of (core names no app: it reads this).
QF_UNIT_MODEL = "orgs.Unit"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    # Admin permissions follow from the system_admin role (see qingfeng/core/admin.py).
    "qingfeng.core.admin.SystemAdminPermissions",
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Argon2 is deliberately slow; tests exercise the policy, not the hash cost.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("QF_PASSWORD_MIN_LENGTH", 12)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "qingfeng.orgs.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
]
QF_LOGIN_MAX_FAILURES = env_int("QF_LOGIN_MAX_FAILURES", 5)
QF_LOGIN_LOCKOUT_MINUTES = env_int("QF_LOGIN_LOCKOUT_MINUTES", 10)
QF_LOGIN_MAX_FAILURES_PER_ADDRESS = env_int("QF_LOGIN_MAX_FAILURES_PER_ADDRESS", 30)
# A name locks from everywhere only after this many failures (from one address: after 5).
QF_LOGIN_MAX_FAILURES_PER_NAME = env_int("QF_LOGIN_MAX_FAILURES_PER_NAME", 20)
# Seconds each sign-in from an address past its failure limit waits (slowed, never refused).
QF_LOGIN_SLOW_DOWN_SECONDS = env_int("QF_LOGIN_SLOW_DOWN_SECONDS", 3)
# An address with this many failed sign-ins within the lockout window (any names) must also
# pass a challenge with its password: the public forms' proof of work (harder the more the
# address fails) and picture sum (core/publicform). QF_LOGIN_CHALLENGE=0 turns the step off;
# QF_LOGIN_SUM_CHECK=0 keeps the proof of work and drops the picture (screen readers).
QF_LOGIN_CHALLENGE = env_bool("QF_LOGIN_CHALLENGE", True)
QF_LOGIN_CHALLENGE_AFTER = env_int("QF_LOGIN_CHALLENGE_AFTER", 10)
QF_LOGIN_SUM_CHECK = env_bool("QF_LOGIN_SUM_CHECK", True)
if QF_LOGIN_CHALLENGE_AFTER < 1:
    raise ImproperlyConfigured("QF_LOGIN_CHALLENGE_AFTER must be 1 or more")
# Past capacity the public channel answers 503 + Retry-After at once (core/capacity.py):
# when a request would wait longer than this many milliseconds (0 turns shedding off). The
# wait measured is one already spent by the queue ahead, and a request let in still needs its
# own time and the rest of that queue: 750 ms keeps a submission let in within the 1 s p95
# target (bench/serve.py), where 500 ms turned away people it could still serve in time.
QF_SHED_QUEUE_MS = env_int("QF_SHED_QUEUE_MS", 750)
# On SQLite the task worker waits, before a job, while the web keeps committing (core/jobs.py
# give_way), at most this many seconds; 0 turns it off.
QF_WORKER_GIVE_WAY_SECONDS = env_int("QF_WORKER_GIVE_WAY_SECONDS", 120)
# Every public prefix, pages and API alike (core/tests/test_capacity.py checks the API's public
# operations against it). One left out is never turned away: past capacity its requests queue
# inside the web process, on SQLite for the write lock, until the busy timeout (10 s) answers
# "database is locked" (the rating API's bursts, bench/RESULTS.md "Evaluation").
QF_SHED_PREFIXES = env_list(
    "QF_SHED_PREFIXES",
    "/report/,/progress/,/rate/,/api/intake/reports,/api/intake/track,/api/intake/captcha,"
    "/api/intake/categories,/api/intake/units,/api/evaluation/units/",
)
QF_PASSWORD_MAX_AGE_DAYS = env_int("QF_PASSWORD_MAX_AGE_DAYS", 90)
QF_SESSION_IDLE_MINUTES = env_int("QF_SESSION_IDLE_MINUTES", 30)
QF_SESSION_ABSOLUTE_HOURS = env_int("QF_SESSION_ABSOLUTE_HOURS", 12)
QF_TOTP_REQUIRED_ROLES = env_list(
    "QF_TOTP_REQUIRED_ROLES",
    "bureau_admin,leader,supervisor,inspector,discipline_inspector,auditor,system_admin",
)

# The idle timeout is kept by orgs.middleware.SessionLimitsMiddleware: the idle clock moves in a
# signed cookie bound to the session, at most once a minute. The session row lives to the
# absolute limit, so it is rewritten only when its life would no longer cover the last request
# plus the idle limit (after 11.5 hours): a page that only reads writes nothing.
SESSION_COOKIE_AGE = QF_SESSION_ABSOLUTE_HOURS * 3600
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

HTTPS = env_bool("QF_HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("QF_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("QF_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind a reverse proxy every request comes from the proxy's address; the limits on public
# submissions and lookups need the client's. QF_TRUSTED_PROXY_HOPS is how many proxies stand
# in front of the app, each appending the address it saw to X-Forwarded-For: the client is
# the entry that many places from the right (core.middleware.client_address). Anything left
# of it was sent by the client and is never believed. QF_BEHIND_PROXY=1 means one proxy that
# also sets X-Forwarded-Proto; QF_TRUST_X_FORWARDED_FOR=1, the older name, means one hop.
QF_BEHIND_PROXY = env_bool("QF_BEHIND_PROXY", False)
QF_TRUSTED_PROXY_HOPS = env_int(
    "QF_TRUSTED_PROXY_HOPS",
    1 if QF_BEHIND_PROXY or env_bool("QF_TRUST_X_FORWARDED_FOR", False) else 0,
)
if QF_TRUSTED_PROXY_HOPS < 0:
    raise ImproperlyConfigured("QF_TRUSTED_PROXY_HOPS must be 0 or more")
if QF_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


# Personal data at rest: AES-256-GCM with a key from the environment, plus a separate key
# for the blind index (keyed hash) that makes exact lookups possible without decrypting.
def _key(name: str, fallback_seed: str) -> bytes:
    raw = env_secret(name)
    if not raw:
        if DEBUG or TESTING:
            return fallback_seed.encode().ljust(32, b"0")[:32]
        raise ImproperlyConfigured(
            f"{name} must be set: 32 random bytes, base64 (`make run` writes one)"
        )
    try:
        key = base64.b64decode(raw, validate=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be base64") from exc
    if len(key) != 32:
        raise ImproperlyConfigured(f"{name} must decode to 32 bytes, not {len(key)}")
    return key


QF_FIELD_KEY = _key("QF_FIELD_KEY", "development-field-key")
QF_INDEX_KEY = _key("QF_INDEX_KEY", "development-index-key")
# The audit chain is an HMAC under this key (core/audit.py): whoever can write the database but
# does not hold the key cannot rewrite a row and recompute the chain.
QF_AUDIT_KEY = _key("QF_AUDIT_KEY", "development-audit-key")
# The chain's head is also written outside the database, one line per change, so that rows cut
# from the end or a wiped table show (`manage.py verify_audit`). Tests use a file of their own.
QF_AUDIT_ANCHOR_FILE = Path(
    env_str(
        "QF_AUDIT_ANCHOR_FILE",
        str(
            (Path(tempfile.mkdtemp(prefix="qf-anchors-")) if TESTING else DATA_DIR)
            / "audit-anchors.log"
        ),
    )
)
# How many lanes the chain has: writers of different lanes append without waiting for each
# other (core/audit.py). Changing it later is safe; every event records its lane.
QF_AUDIT_LANES = env_int("QF_AUDIT_LANES", 8)
if not 1 <= QF_AUDIT_LANES <= 64:
    raise ImproperlyConfigured(f"QF_AUDIT_LANES must be between 1 and 64, not {QF_AUDIT_LANES}")
# An uploaded file no row refers to is removed by the daily sweep once it is this old.
QF_ORPHAN_GRACE_HOURS = env_int("QF_ORPHAN_GRACE_HOURS", 24)

# --- Language, time -----------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True
# Our own formats accept the dates people type: 2026年11月5日, 2026-11-05, 2026.11.5, 2026/11/5.
FORMAT_MODULE_PATH = ["qingfeng.formats"]

# --- Static and media ---------------------------------------------------------------------
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 10_485_760
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("QF_STATIC_ROOT", str(DATA_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(Path(env_str("QF_MEDIA_ROOT", str(DATA_DIR / "media"))))},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
}


def s3_storage(
    bucket: str,
    *,
    endpoint: str,
    prefix: str = "",
    access_key: str = "",
    secret_key: str = "",
    region: str = "",
    ca_bundle: str = "",
    addressing: str = "",
) -> dict[str, object]:
    """The default storage in an S3-compatible bucket (django-storages), as QF_MEDIA_S3_* say."""
    from botocore.config import Config

    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint or None,
            # None: boto3's own chain (AWS_ACCESS_KEY_ID, a credentials file, an instance role).
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            "region_name": region or "us-east-1",
            "location": prefix.strip("/"),
            # A CA bundle's path for an intranet's own certificate authority.
            "verify": ca_bundle or None,
            "default_acl": None,  # the bucket's own policy: private
            # An export named like last month's must not replace it: a free name is found.
            "file_overwrite": False,
            "max_memory_size": FILE_UPLOAD_MAX_MEMORY_SIZE,  # larger downloads spool to disk
            "client_config": Config(
                signature_version="s3v4",
                # MinIO and most intranet stores answer on a path (http://minio:9000/bucket/…).
                s3={"addressing_style": addressing or "path"},
                # Checksums only where S3 requires them: older S3-compatible servers refuse the
                # newer trailing checksums.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                retries={"max_attempts": 5, "mode": "standard"},
                connect_timeout=5,
                read_timeout=60,
            ),
        },
    }


# Several app hosts share their uploads (evidence, attachments, import workbooks, exports) in
# an S3-compatible bucket (MinIO, Ceph, a cloud's object storage) instead of QF_MEDIA_ROOT:
# set QF_MEDIA_S3_BUCKET. Files are always served through the app's own scoped views, never by
# a link into the bucket, so the bucket needs no public access. docs/operations.md.
QF_MEDIA_S3_BUCKET = env_str("QF_MEDIA_S3_BUCKET")
if QF_MEDIA_S3_BUCKET:
    STORAGES["default"] = s3_storage(
        QF_MEDIA_S3_BUCKET,
        endpoint=env_str("QF_MEDIA_S3_ENDPOINT_URL"),
        prefix=env_str("QF_MEDIA_S3_PREFIX"),
        access_key=env_secret("QF_MEDIA_S3_ACCESS_KEY"),
        secret_key=env_secret("QF_MEDIA_S3_SECRET_KEY"),
        region=env_str("QF_MEDIA_S3_REGION"),
        ca_bundle=env_str("QF_MEDIA_S3_CA_BUNDLE"),
        addressing=env_str("QF_MEDIA_S3_ADDRESSING"),
    )
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# --- Background work ----------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
HUEY: dict[str, object]
if REDIS_URL:
    HUEY = {"huey_class": "huey.PriorityRedisHuey", "name": "qingfeng", "url": REDIS_URL}
else:
    HUEY = {
        # The queue is a doorbell for Job rows (core/doorbell.py): no disk flush per ring.
        "huey_class": "qingfeng.core.doorbell.DoorbellHuey",
        "name": "qingfeng",
        "filename": str(DATA_DIR / "huey.sqlite3"),
    }
HUEY["immediate"] = env_bool("QF_HUEY_IMMEDIATE", TESTING)
# An idle worker looks at the queue at least once a second (huey's default backs off to 10 s,
# so work queued after a quiet spell — an import, a bulletin — would wait that long to start).
HUEY["consumer"] = {
    "workers": env_int("QF_WORKERS", 2),
    "worker_type": "thread",
    "max_delay": 1.0,
}
QF_JOB_SWEEP_MINUTES = env_int("QF_JOB_SWEEP_MINUTES", 2)
QF_HEARTBEAT_STALE_SECONDS = env_int("QF_HEARTBEAT_STALE_SECONDS", 180)
# Backups (manage.py backup; the worker makes one daily at QF_BACKUP_HOUR, local time; -1 = never).
QF_BACKUP_DIR = Path(env_str("QF_BACKUP_DIR", str(DATA_DIR / "backups")))
QF_BACKUP_KEEP = env_int("QF_BACKUP_KEEP", 14)
QF_BACKUP_KEY = env_secret("QF_BACKUP_KEY")  # 32 bytes base64: backups are then encrypted
QF_BACKUP_HOUR = env_int("QF_BACKUP_HOUR", 2)
# Several hosts on one database: the host (its name, as `hostname` prints it) whose worker
# makes the daily backup; empty: every host's worker tries, and the backup lock (a row in the
# database, held at most QF_BACKUP_LOCK_MINUTES) lets one of them at a time (core/backup.py).
QF_BACKUP_HOST = env_str("QF_BACKUP_HOST", "")
QF_BACKUP_LOCK_MINUTES = env_int("QF_BACKUP_LOCK_MINUTES", 180)

# --- Ledger ---------------------------------------------------------------------------------
QF_LEDGER_YELLOW_DAYS = env_int("QF_LEDGER_YELLOW_DAYS", 3)
QF_LEDGER_ESCALATE_AFTER_DAYS = env_int("QF_LEDGER_ESCALATE_AFTER_DAYS", 3)
QF_LEDGER_RECHECK_SHARE = env_int("QF_LEDGER_RECHECK_PERCENT", 10)

# --- Campaign: the weekly report's reminder this many working days before its due day ------
QF_CAMPAIGN_REMIND_DAYS = env_int("QF_CAMPAIGN_REMIND_DAYS", 1)

# --- Public intake (作风建设直通车) ---------------------------------------------------------
# The human check is on unless switched off: a proof of work the browser does by itself and a
# sum in a picture. QF_INTAKE_SUM_CHECK=0 drops the picture alone (screen-reader users cannot
# read it); QF_WORK_CHECK_MAXNUMBER is the work for an address's first submission of the hour
# (about half as many SHA-256 hashes on average; each further submission doubles it, 6 times
# at most).
QF_INTAKE_HUMAN_CHECK = env_bool("QF_INTAKE_HUMAN_CHECK", True)
QF_INTAKE_SUM_CHECK = env_bool("QF_INTAKE_SUM_CHECK", True)
QF_WORK_CHECK_MAXNUMBER = env_int("QF_WORK_CHECK_MAXNUMBER", 100_000)
QF_INTAKE_SUBMITS_PER_HOUR = env_int("QF_INTAKE_SUBMITS_PER_HOUR", 20)
QF_INTAKE_LOOKUP_FAILURES = env_int("QF_INTAKE_LOOKUP_FAILURES", 10)
QF_INTAKE_LOOKUP_WINDOW_MINUTES = env_int("QF_INTAKE_LOOKUP_WINDOW_MINUTES", 15)
# Five files of 10 MB and the form: a larger request is refused before its body is read.
QF_INTAKE_MAX_REQUEST_BYTES = env_int("QF_INTAKE_MAX_REQUEST_MB", 52) * 1024 * 1024
# The address the public reaches /report/ at (QR codes and posters print it), such as
# https://jyj.example.gov.cn; empty: the address of the request that made the code.
QF_PUBLIC_BASE_URL = env_str("QF_PUBLIC_BASE_URL").strip().rstrip("/")
if QF_PUBLIC_BASE_URL and (
    not QF_PUBLIC_BASE_URL.startswith(("http://", "https://")) or " " in QF_PUBLIC_BASE_URL
):
    raise ImproperlyConfigured(
        f"QF_PUBLIC_BASE_URL must be an http(s) address, not {QF_PUBLIC_BASE_URL!r}"
    )
# A TrueType font with Chinese glyphs for the posters (PDF embeds TrueType only); empty:
# the usual Debian places (fonts-wqy-microhei, fonts-wqy-zenhei, fonts-droid-fallback).
QF_POSTER_FONT = env_str("QF_POSTER_FONT").strip()
QF_POSTER_BULK_MAX = env_int("QF_POSTER_BULK_MAX", 300)  # pages in one "print all" PDF
QF_HOTLINE_NUMBER = env_str("QF_HOTLINE_NUMBER").strip()  # printed on posters when set
# Public statistics: a county with fewer tickets in the period is not shown on its own.
QF_STATS_MIN_COUNT = env_int("QF_STATS_MIN_COUNT", 10)
QF_STATS_CACHE_SECONDS = env_int("QF_STATS_CACHE_SECONDS", 300)

# The cache holds only short-lived counters (rate limits under salted hashes, spent human-
# check tokens); it must be shared by every app process: Redis when there is one, else a
# SQLite file of its own.
CACHES: dict[str, dict[str, object]]
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
elif TESTING:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    # One SQLite file shared by every process: atomic add and incr, nothing live evicted, no
    # disk flush per counter (core/scratch.py).
    CACHES = {
        "default": {
            "BACKEND": "qingfeng.core.scratch.ScratchCache",
            "LOCATION": str(DATA_DIR / "scratch.sqlite3"),
        }
    }

# --- Notifications ------------------------------------------------------------------------
# In-app notifications always; these channels too (comma-separated: sms, email), sent after
# commit by the worker. Empty: in-app only.
QF_NOTIFY_CHANNELS = env_list("QF_NOTIFY_CHANNELS")
if set(QF_NOTIFY_CHANNELS) - {"sms", "email"}:
    raise ImproperlyConfigured(
        f"QF_NOTIFY_CHANNELS may name sms and email, not {','.join(QF_NOTIFY_CHANNELS)!r}"
    )
# console (a log line), locmem (kept in memory), http (a JSON gateway), or a dotted class path.
QF_SMS_BACKEND = env_str("QF_SMS_BACKEND", "console").strip()
QF_SMS_GATEWAY_URL = env_str("QF_SMS_GATEWAY_URL").strip()
QF_SMS_GATEWAY_TOKEN = env_secret("QF_SMS_GATEWAY_TOKEN")
QF_SMS_GATEWAY_TIMEOUT = env_int("QF_SMS_GATEWAY_TIMEOUT", 10)
if QF_SMS_BACKEND == "http" and not QF_SMS_GATEWAY_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured("QF_SMS_BACKEND=http needs QF_SMS_GATEWAY_URL (an http(s) address)")
# E-mail goes through Django's mail framework: console, locmem or smtp (EMAIL_HOST, ...); a
# full EMAIL_BACKEND path still wins.
_EMAIL_BACKENDS = {
    name: f"django.core.mail.backends.{name}.EmailBackend" for name in ("console", "locmem", "smtp")
}
QF_EMAIL_BACKEND = env_str("QF_EMAIL_BACKEND", "console").strip()
if QF_EMAIL_BACKEND not in _EMAIL_BACKENDS:
    raise ImproperlyConfigured(
        f"QF_EMAIL_BACKEND must be console, locmem or smtp, not {QF_EMAIL_BACKEND!r}"
    )
EMAIL_BACKEND = env_str("EMAIL_BACKEND") or _EMAIL_BACKENDS[QF_EMAIL_BACKEND]
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "qingfeng@localhost")
# The public API's submission (/api/intake/tickets); off: only the /report/ form files reports.
QF_INTAKE_API_SUBMIT = env_bool("QF_INTAKE_API_SUBMIT", True)

# The rating page (/rate/): the signals that flag a rating or ask for the human check. An
# address (counted under a salted hash, never kept) past this many ratings an hour must pass
# the human check; a rating completed faster than the minimum seconds, or the Nth identical
# answer to one unit within ten minutes, is flagged for review.
QF_EVALUATION_HUMAN_CHECK = env_bool("QF_EVALUATION_HUMAN_CHECK", True)
QF_EVALUATION_RATES_PER_HOUR = env_int("QF_EVALUATION_RATES_PER_HOUR", 30)
# The public pledge rating (/rate/pledge/u/<unit>/): its own human check and hourly number.
QF_LEARNING_HUMAN_CHECK = env_bool("QF_LEARNING_HUMAN_CHECK", True)
QF_LEARNING_RATES_PER_HOUR = env_int("QF_LEARNING_RATES_PER_HOUR", 30)
QF_EVALUATION_MIN_SECONDS = env_int("QF_EVALUATION_MIN_SECONDS", 5)
QF_EVALUATION_BURST = env_int("QF_EVALUATION_BURST", 5)

# A random-check draw's units and their outcome are made public (/notice/) within this many
# working days of its last visit ending; the draw's page shows the day and its light.
QF_OVERSIGHT_PUBLISH_WORKDAYS = env_int("QF_OVERSIGHT_PUBLISH_WORKDAYS", 5)

# What the process writes (stderr; gunicorn's access lines go to stdout, see
# core/gunicorn_conf.py). The format holds the message only, never the request a record may
# carry (django.request passes it along): no address, browser or referrer of anyone is
# written, which the promise "匿名反映不记录 IP 地址等网络信息" needs (core/tests/test_serve.py).
# The same records, and gunicorn's access lines, also go as JSON lines to one file a day
# under QF_LOG_DIR (the data directory's logs/; empty: no file), kept QF_LOG_RETENTION_DAYS
# (core/logs.py): at least 180, the six months the Cybersecurity Law asks for.
QF_LOG_DIR = env_str("QF_LOG_DIR", "" if TESTING else str(DATA_DIR / "logs"))
QF_LOG_RETENTION_DAYS = env_int("QF_LOG_RETENTION_DAYS", 180)
if QF_LOG_RETENTION_DAYS < 180:
    raise ImproperlyConfigured(
        "QF_LOG_RETENTION_DAYS must be 180 or more (logs are kept six months at least), "
        f"not {QF_LOG_RETENTION_DAYS}"
    )
# Retention of personal data (core/retention.py; a daily task at 03:55; 0 = kept for ever):
# the uploaded roster and ledger workbooks (names and phone numbers in clear) are deleted
# this many days after upload, the import rows stay; a finished public ticket's reporter
# name and phone are cleared this many days after its last change, unless its problem is
# still under rectification.
QF_WORKBOOK_RETENTION_DAYS = env_int("QF_WORKBOOK_RETENTION_DAYS", 90)
QF_REPORTER_RETENTION_DAYS = env_int("QF_REPORTER_RETENTION_DAYS", 730)
# The console's lines (stderr and stdout, the journal under systemd): "plain" text, or "json"
# for a log collector — one JSON object a line with the file's fields, gunicorn's access lines
# and serve's own messages included (core/logs.py).
QF_LOG_FORMAT = env_str("QF_LOG_FORMAT", "plain")
if QF_LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"QF_LOG_FORMAT must be plain or json, not {QF_LOG_FORMAT!r}")
_LOG_HANDLERS: dict[str, dict[str, object]] = {
    "console": {"class": "logging.StreamHandler", "formatter": QF_LOG_FORMAT}
}
if QF_LOG_DIR:
    _LOG_HANDLERS["file"] = {
        "class": "qingfeng.core.logs.DailyFileHandler",
        "directory": QF_LOG_DIR,
        "formatter": "json",
    }
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "qingfeng.core.logs.JsonFormatter"},
    },
    "handlers": _LOG_HANDLERS,
    "root": {"handlers": list(_LOG_HANDLERS), "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.server": {"level": "WARNING"}, "jieba": {"level": "WARNING"}},
}
