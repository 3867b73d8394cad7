"""Top-level URLs: the pages of each app, the admin site and the REST API (config/api.py)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from budgets import views as budget_views
from budgets.views.accounts import LogoutView
from reporting.workbench_views import home as workbench_home

admin.site.site_header = "预算绩效目标跟踪系统 · 管理后台"
admin.site.site_title = "预算绩效目标跟踪系统"
admin.site.index_title = "系统管理"

urlpatterns = [
    path("", workbench_home, name="home"),
    path("healthz", budget_views.health, name="health"),
    path("favicon.ico", budget_views.favicon, name="favicon"),
    path("budgets/", include("budgets.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("tracking/", include("tracking.urls")),
    path("performance/", include("performance.urls")),
    path("reporting/", include("reporting.urls")),
    path("api/", include("config.api")),
    # The official tables moved from performance to reporting; old links and bookmarks still
    # download them (the query string, year and department, is kept).
    path(
        "performance/tables/11/",
        RedirectView.as_view(pattern_name="reporting:table_11_xlsx", query_string=True),
    ),
    path(
        "performance/tables/12/",
        RedirectView.as_view(pattern_name="reporting:table_12_xlsx", query_string=True),
    ),
]

# A database lock that outlasts the busy timeout answers 503 with a Chinese message.
handler500 = "config.dbbusy.server_error"
