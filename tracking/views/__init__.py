"""Pages of the tracking app, one module per area; tracking/urls.py joins their urlpatterns."""
