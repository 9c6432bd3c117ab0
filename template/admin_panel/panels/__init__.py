"""Model panels: any model in the admin panel, declared as in Django admin.

    from admin_panel.panels import ModelPanel, action, site

    @site.register(Subscription)
    class SubscriptionPanel(ModelPanel):
        list_display = ["plan", "user", "status", "monthly_amount", "created"]
        search_fields = ["plan"]
        list_filter = ["status", "created"]
        ordering = ["-created"]
        readonly_fields = ["created"]

Each registered model gets a list at `/admin-panel/<app_label>/<model_name>/` (search,
filters, sorting, keyset pages with a capped count, bulk actions, live rows), a form per
object at `.../<pk>/` (and `.../add/`), its history at `.../<pk>/history/` and a CSV export
at `.../export.csv`, all behind Django's model permissions.
"""

from .options import ModelPanel, action, delete_selected
from .sites import PanelSite, site

__all__ = ["ModelPanel", "PanelSite", "action", "delete_selected", "site"]
