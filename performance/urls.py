"""URLs of the performance app."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "performance"

urlpatterns = [
    path("review/", views.review_list, name="review_list"),
    path("projects/<int:pk>/targets/", views.project_targets, name="project_targets"),
    path("projects/<int:pk>/indicators/add/", views.indicator_add, name="indicator_add"),
    path("indicators/<int:pk>/edit/", views.indicator_edit, name="indicator_edit"),
    path("indicators/<int:pk>/delete/", views.indicator_remove, name="indicator_delete"),
    path("preview/", views.value_preview, name="value_preview"),
    path("library/", views.library_search, name="library_search"),
    path("departments/targets/", views.department_targets, name="department_targets"),
]
