"""Template context shared by every page: the navigation for the user's role."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from .choices import Role

# (label, url name, roles that see it); a url that does not exist yet is skipped.
NAVIGATION = [
    ("首页", "home", {Role.STAFF, Role.REVIEWER, Role.ADMIN}),
    ("项目", "budgets:project_list", {Role.STAFF, Role.REVIEWER, Role.ADMIN}),
    ("目标审核", "performance:review_list", {Role.STAFF, Role.REVIEWER, Role.ADMIN}),
    ("整体目标表", "reporting:table_11", {Role.STAFF, Role.REVIEWER, Role.ADMIN}),
    ("监控与自评", "tracking:round_list", {Role.STAFF, Role.REVIEWER, Role.ADMIN}),
    ("审核队列", "tracking:review_queue", {Role.REVIEWER, Role.ADMIN}),
    ("导入", "budgets:import_upload", {Role.STAFF, Role.REVIEWER, Role.ADMIN}),
    ("消息", "tracking:inbox", {Role.STAFF, Role.REVIEWER, Role.ADMIN}),
]

INBOX = "tracking:inbox"


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    role = Role.ADMIN if user.is_superuser else user.role
    items = []
    for label, url_name, roles in NAVIGATION:
        if role not in roles:
            continue
        url = reverse(url_name)
        item = {"label": label, "url": url, "active": request.path == url}
        if url_name == INBOX:
            # One COUNT on the (recipient, read_at) index; no badge when nothing is unread.
            item["badge"] = user.notifications.filter(read_at__isnull=True).count() or None
        items.append(item)
    if user.is_staff:
        items.append({"label": "管理后台", "url": reverse("admin:index"), "active": False})
    return {"nav_items": items, "role_label": Role(role).label}
