"""Test-only URLs: `@pytest.mark.urls("tests.framework.urls")`."""

from typing import Any, ClassVar

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views import View

from component_framework.adapters.django_views import ComponentView
from component_framework.adapters.view_permissions import (
    PermissionRequiredMixin,
    permission_classes,
)
from component_framework.core.permissions import AllowAny, IsStaff
from tests.framework import components  # noqa: F401 - registers the test components


class CounterView(ComponentView):
    component_name = "test_counter"


class StaffOnlyView(ComponentView):
    component_name = "test_staff_only"


class StaffGateView(ComponentView):
    component_name = "test_counter"
    permission_classes: ClassVar[list[Any]] = [IsStaff]


class PublicView(ComponentView):
    component_name = "test_public"
    permission_classes: ClassVar[list[Any]] = [AllowAny]


class UserCardView(ComponentView):
    component_name = "test_user_card"
    permission_classes: ClassVar[list[Any]] = [IsStaff]

    def get_component_params(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        params = super().get_component_params(request, **kwargs)
        params["user_id"] = int(request.POST.get("user_id", 0))
        return params


class CachedView(ComponentView):
    component_name = "test_cached"
    permission_classes: ClassVar[list[Any]] = [IsStaff]


class FormView(ComponentView):
    component_name = "test_form"


class BrowserView(ComponentView):
    component_name = "test_browser"
    permission_classes: ClassVar[list[Any]] = [AllowAny]


def browser_page(request: HttpRequest) -> HttpResponse:
    return render(request, "framework_tests/page.html")


class MissingComponentView(ComponentView):
    component_name = "test_never_registered"


@permission_classes(IsStaff)
def staff_report(request: HttpRequest) -> HttpResponse:
    return HttpResponse("report")


class StaffReportView(PermissionRequiredMixin, View):
    permission_classes: ClassVar[list[Any]] = [IsStaff]

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("report")


urlpatterns = [
    path("t/counter/", CounterView.as_view(), name="t_counter"),
    path("t/staff-only/", StaffOnlyView.as_view(), name="t_staff_only"),
    path("t/staff-gate/", StaffGateView.as_view(), name="t_staff_gate"),
    path("t/public/", PublicView.as_view(), name="t_public"),
    path("t/user-card/", UserCardView.as_view(), name="t_user_card"),
    path("t/cached/", CachedView.as_view(), name="t_cached"),
    path("t/form/", FormView.as_view(), name="t_form"),
    path("t/browser/", BrowserView.as_view(), name="t_browser"),
    path("t/page/", browser_page, name="t_page"),
    path("t/missing/", MissingComponentView.as_view(), name="t_missing"),
    path("t/report/", staff_report, name="t_report"),
    path("t/report-cbv/", StaffReportView.as_view(), name="t_report_cbv"),
]
