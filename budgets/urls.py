"""URLs of the budgets pages (namespace "budgets")."""

from __future__ import annotations

from django.urls import path

from .views import imports, payments, projects

app_name = "budgets"

urlpatterns = [
    path("projects/", projects.project_list, name="project_list"),
    path("projects/<int:pk>/", projects.project_detail, name="project_detail"),
    path("projects/<int:pk>/payments/new/", payments.payment_create, name="payment_create"),
    path(
        "projects/<int:pk>/adjustments/new/",
        payments.adjustment_create,
        name="adjustment_create",
    ),
    path("adjustments/<int:pk>/edit/", payments.adjustment_edit, name="adjustment_edit"),
    path(
        "adjustments/<int:pk>/delete/",
        payments.adjustment_delete_view,
        name="adjustment_delete",
    ),
    path("payments/", payments.payment_list, name="payment_list"),
    path("payments/new/", payments.payment_create, name="payment_create"),
    path("payments/<int:pk>/edit/", payments.payment_edit, name="payment_edit"),
    path("payments/<int:pk>/delete/", payments.payment_delete_view, name="payment_delete"),
    path("import/", imports.import_upload, name="import_upload"),
    path("import/template/", imports.import_template, name="import_template"),
    path("import/<uuid:token>/", imports.import_job, name="import_job"),
    path("import/<uuid:token>/confirm/", imports.import_confirm, name="import_confirm"),
]
