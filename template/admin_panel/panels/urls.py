"""Routes of every registered model: `/admin-panel/<app_label>/<model_name>/...`.

As in Django admin, only registered models have routes (built when the URLconf loads,
after every app registered its panels), so other routes of the panel are never shadowed.
"""

from django.urls import include, path

from . import views
from .sites import site

model_urlpatterns = [
    path("", views.list_page, name="panel_list"),
    path("export.csv", views.export_csv, name="panel_export"),
    path("add/", views.object_page, name="panel_add"),
    path("actions/", views.actions_page, name="panel_actions"),
    path("rows/", views.ModelListView.as_view(), name="panel_rows"),
    path("form/", views.ModelFormView.as_view(), name="panel_form"),
    path("<str:pk>/", views.object_page, name="panel_object"),
    path("<str:pk>/delete/", views.delete_page, name="panel_delete"),
    path("<str:pk>/history/", views.history_page, name="panel_history"),
]

urlpatterns = [
    path(
        f"{panel.opts.app_label}/{panel.opts.model_name}/",
        include(model_urlpatterns),
        {"app_label": panel.opts.app_label, "model_name": panel.opts.model_name},
    )
    for panel in site.panels
]
