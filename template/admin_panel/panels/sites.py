"""`site`: the registry of model panels, like Django admin's `admin.site`.

    from admin_panel.panels import ModelPanel, site

    @site.register(Subscription)
    class SubscriptionPanel(ModelPanel):
        list_display = ["plan", "status", "created"]

Apps declare their panels in a `panels.py` module, imported when the project starts
(`PanelSite.autodiscover()`, called from the admin panel's `AppConfig.ready`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.contrib.auth import get_permission_codename
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import Http404
from django.utils.module_loading import autodiscover_modules

from .options import ModelPanel


class AlreadyRegistered(Exception):
    """A model was registered twice."""


class PanelSite:
    """Model panels by model; the panel's navigation lists those a user may view."""

    def __init__(self) -> None:
        self._registry: dict[str, ModelPanel] = {}

    def register(
        self, model: type[models.Model], panel_class: type[ModelPanel] | None = None
    ) -> Any:
        """Register `model` with `panel_class` (default `ModelPanel`); also a decorator."""

        def add(cls: type[ModelPanel]) -> type[ModelPanel]:
            label = model._meta.label_lower
            if label in self._registry:
                raise AlreadyRegistered(f"{label} already has a panel.")
            self._registry[label] = cls(model)
            return cls

        if panel_class is not None:
            add(panel_class)
            return panel_class
        decorate: Callable[[type[ModelPanel]], type[ModelPanel]] = add
        return decorate

    def unregister(self, model: type[models.Model]) -> None:
        self._registry.pop(model._meta.label_lower, None)

    def is_registered(self, model: type[models.Model]) -> bool:
        return model._meta.label_lower in self._registry

    def panel_for(self, label: str) -> ModelPanel | None:
        """The panel of "app_label.model_name", or None."""
        return self._registry.get(str(label).lower())

    def get(self, app_label: str, model_name: str) -> ModelPanel:
        """The panel of a URL's model; `Http404` when none is registered."""
        panel = self.panel_for(f"{app_label}.{model_name}")
        if panel is None:
            raise Http404("No panel for this model.")
        return panel

    @property
    def panels(self) -> list[ModelPanel]:
        """Every panel, by app and name."""
        return sorted(self._registry.values(), key=lambda panel: panel.label)

    def visible_to(self, user: Any) -> list[ModelPanel]:
        """The panels `user` may view (the navigation's entries)."""
        return [panel for panel in self.panels if panel.has_view_permission(user)]

    def may_view(self, user: Any, model: type[models.Model] | ContentType | None) -> bool:
        """Whether `user` may see `model`'s rows, wherever they show (the panel, the audit
        feed, history): its panel's `has_view_permission` when it has a panel, else Django's
        `view` permission. Superusers see everything, a content type without a model only
        they see."""
        if not (user.is_authenticated and user.is_active):
            return False
        if user.is_superuser:
            return True
        if isinstance(model, ContentType):
            model = model.model_class()
        if model is None:
            return False
        panel = self.panel_for(model._meta.label_lower)
        if panel is not None:
            return bool(panel.has_view_permission(user))
        codename = get_permission_codename("view", model._meta)
        return bool(user.has_perm(f"{model._meta.app_label}.{codename}"))

    def viewable_content_types(self, user: Any) -> frozenset[int] | None:
        """Ids of the content types of the models `user` may view; None for all of them
        (active superusers). Reads the user's permissions once; content types are cached."""
        if user.is_authenticated and user.is_active and user.is_superuser:
            return None
        if not (user.is_authenticated and user.is_active):
            return frozenset()
        models_ = [model for model in apps.get_models() if self.may_view(user, model)]
        types = ContentType.objects.get_for_models(*models_, for_concrete_models=False)
        return frozenset(content_type.pk for content_type in types.values())

    def autodiscover(self) -> None:
        """Import every installed app's `panels` module (where apps register theirs)."""
        autodiscover_modules("panels")


site = PanelSite()
