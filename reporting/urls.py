"""URLs of the reporting app: the official tables and the workbenches' drill-down and
downloads (the workbench itself is `/`, config/urls.py)."""

from __future__ import annotations

from django.urls import path

from . import views, workbench_views

app_name = "reporting"

urlpatterns = [
    path("tables/11/", views.table_11_page, name="table_11"),
    path("tables/11.xlsx", views.table_11_download, name="table_11_xlsx"),
    path("tables/12.xlsx", views.table_12_download, name="table_12_xlsx"),
    path(
        "workbench/departments/<int:pk>/",
        workbench_views.department_page,
        name="workbench_department",
    ),
    path("workbench/projects/<int:pk>/", workbench_views.project_page, name="workbench_project"),
    path("workbench.xlsx", workbench_views.workbench_download, name="workbench_xlsx"),
]
