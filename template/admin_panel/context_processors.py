from django.conf import settings
from django.http import HttpRequest


def project(request: HttpRequest) -> dict[str, str]:
    """Expose the project's display name to every template."""
    return {"project_name": settings.PROJECT_NAME}
