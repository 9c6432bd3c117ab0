from django.contrib.auth.decorators import user_passes_test
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def is_active_staff(user) -> bool:
    return user.is_active and user.is_staff


@user_passes_test(is_active_staff)
def index(request: HttpRequest) -> HttpResponse:
    """The panel page: staff only; anyone else is sent to the login page."""
    return render(request, "admin_panel/index.html")
