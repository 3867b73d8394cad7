"""Project settings. Every value that differs between machines comes from the environment."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)

# Production has no default secret: starting without one is refused.
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # The admin site with 用户 in a section of its own (config/admin_site.py).
    "config.apps.ProjectAdminConfig",
    # Named 用户, the admin section it shares with the user model.
    "config.apps.AuthConfig",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "simple_history",
    "django_htmx",
    # django-axes under a Chinese name (登录防护).
    "config.apps.AxesConfig",
    "budgets",
    "performance",
    "tracking",
    "reporting",
    # Last: its admin module re-registers axes' and celery-beat's admin pages with Chinese
    # columns, and its locale fills the strings they and Django leave untranslated.
    "config.apps.ProjectConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A NUL in the query string is a 400 naming the parameter (PostgreSQL refuses NUL).
    "config.query_text.QueryTextMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A database that cannot be reached answers 503, not 500; before LoginRequiredMiddleware,
    # whose reading of the session and user it must be able to answer.
    "config.database_down.DatabaseDownMiddleware",
    # Every page needs a signed-in user unless its view is marked login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks, so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "budgets.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one SQLite file: wait for locks instead of failing, and
    # take the write lock up front so two writers never deadlock on an upgrade. Imports hold
    # the lock only while they write (budgets/importer.py); a wait longer than the busy
    # timeout answers a Chinese "系统正忙" (config/dbbusy.py).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": env_int("SQLITE_BUSY_TIMEOUT", 30),
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # A persistent connection (CONN_MAX_AGE) that died with a database restart is replaced at
    # the next request's first query instead of failing it; while the server is down or out
    # of reach, connecting gives up after a few seconds and the request is answered 503
    # (config/database_down.py) instead of hanging. A connect_timeout in DATABASE_URL wins.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 5)
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHE_URL = env_str("CACHE_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- Users and login ------------------------------------------------------------------------
AUTH_USER_MODEL = "budgets.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)

# Reverse proxies in front of the server (0: clients connect directly). Only with a count is
# X-Forwarded-For (the address) or X-Forwarded-Proto (https) believed: a client can send them.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more")

# Throttle password guessing: five failures for one username from one address lock it out.
# The pair, not the address alone: behind a proxy or a NAT many users share one address, and
# an address-only lock would let anyone lock everyone out.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "config.proxies.client_address"
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request otherwise
# Front-end libraries come from the npm registry at set-up time (make install).
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/echarts", BASE_DIR / "node_modules" / "echarts" / "dist"),
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Largest workbook accepted for upload, in bytes (default 50 MB).
IMPORT_MAX_UPLOAD_BYTES = env_int("IMPORT_MAX_UPLOAD_BYTES", 50 * 1024 * 1024)

# The workbook: sheets in import order, and the apps' exporters of the same sheets.
WORKBOOK_SHEETS = [
    "budgets.workbook.ProjectSheet",
    "budgets.workbook.DepartmentBudgetSheet",
    "budgets.workbook.AdjustmentSheet",
    "budgets.workbook.PaymentSheet",
    "performance.workbook.IndicatorSheet",
    "performance.department_workbook.DepartmentIndicatorSheet",
    "performance.department_workbook.DepartmentGoalSheet",
    "tracking.workbook.ActualSheet",
]
WORKBOOK_EXPORTERS = [
    "budgets.workbook.export_rows",
    "performance.workbook.export_rows",
    "performance.department_workbook.export_rows",
    "tracking.workbook.export_rows",
]
# Functions that add each app's part to the JSON export (see budgets/export.py).
EXPORT_CONTRIBUTORS = ["performance.export.contribute", "tracking.export.contribute"]
# The function that computes the department figures (预算执行率 … 绩效自评完成率) the 部门整体目标
# page shows beside the computed indicators: it reads tracking's reports, which sit above
# performance, so the page takes it by name (see performance/views.py department_targets).
DEPARTMENT_FIGURES = "reporting.selectors.department_rates"

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "预算绩效目标跟踪系统 <noreply@localhost>")

# --- Celery ---------------------------------------------------------------------------------
# The embedded default is kombu's filesystem transport: a real broker with no service to
# install, so `make run` has a real worker and beat. Production sets a redis:// URL.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_FOLDER = VAR_DIR / "celery-broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _folder in ("queue", "control"):
        (CELERY_BROKER_FOLDER / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FOLDER / "queue"),
        "data_folder_out": str(CELERY_BROKER_FOLDER / "queue"),
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),
        "store_processed": False,
    }
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
else:
    # A broker host that drops packets (not just refuses) must not hold a request: connecting
    # gives up after a few seconds and the page says the job could not start.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 3}
# Results are not needed by the system (progress lives in the database); tests set one.
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Sessions for the pages' own use, tokens (`manage.py drf_create_token USERNAME`) for
    # machines: `Authorization: Token <key>`.
    # Token first: its WWW-Authenticate header makes a failed or missing login a 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "budgets.api.base.ApiPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "budgets.api.base.api_exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "预算绩效目标跟踪系统 API",
    "DESCRIPTION": (
        "与页面相同的数据和操作：区划、部门、单位、项目（含截至某日的预算数与比率）、绩效指标、"
        "预算调整、支出、填报轮次、监控与自评报告及其审核、消息、比率快照，以及工作簿导入导出。"
        "认证：会话或令牌（请求头 `Authorization: Token <key>`）。权限与页面相同。"
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One schema name per choice set (fields of the same name hold different sets).
    "ENUM_NAME_OVERRIDES": {
        "ReportStatusEnum": "tracking.choices.ReportStatus",
        "CauseCategoryEnum": "tracking.choices.CauseCategory",
        "LikelihoodEnum": "tracking.choices.Likelihood",
        "LightEnum": "tracking.choices.Light",
        "StageEnum": "tracking.choices.Stage",
        "NotificationKindEnum": "tracking.choices.NotificationKind",
        "AdjustmentKindEnum": "budgets.choices.AdjustmentKind",
        "ProjectTypeEnum": "budgets.choices.ProjectType",
        "TargetKindEnum": "performance.models.KIND_CHOICES",
        "ProjectLevel1Enum": "performance.choices.LEVEL1_CHOICES",
        "DepartmentLevel1Enum": "performance.choices.DEPARTMENT_LEVEL1_CHOICES",
        "ReportKindEnum": "tracking.filters.KINDS",
    },
}

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # The filesystem transport has no host; kombu warns about that on every connection.
        "kombu.connection": {"level": "ERROR"},
    },
}

# --- HTTPS and browser protections ---------------------------------------------------------
# Production redirects plain HTTP and tells browsers to use HTTPS only, for a year. A server
# reached over plain HTTP (on loopback, no proxy) sets SECURE_SSL_REDIRECT=0 and
# SECURE_HSTS_SECONDS=0.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 60 * 60)
# docker-compose's health check asks the container itself, over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if TRUSTED_PROXY_COUNT:
    # The proxy terminates TLS; its X-Forwarded-Proto says whether the client used HTTPS.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True

# Content-Security-Policy (config/csp.py): scripts only from our own static files, so an
# injected <script> or on*= attribute does not run. Inline styles stay allowed: the execution
# and progress bars are sized with style="width: x%", pages carry small <style> blocks, and
# a style cannot run script.
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}
