"""URLs of the reporting app: the official tables."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "reporting"

urlpatterns = [
    path("tables/11/", views.table_11_page, name="table_11"),
    path("tables/11.xlsx", views.table_11_download, name="table_11_xlsx"),
    path("tables/12.xlsx", views.table_12_download, name="table_12_xlsx"),
]
