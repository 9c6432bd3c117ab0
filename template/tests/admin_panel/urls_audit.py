"""Test-only URLs: one sync and one async view that change a user, to follow the actor
through the real middleware stack on both handler paths."""

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.urls import path


def rename_sync(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_user_model().objects.get(pk=pk)
    user.first_name = request.POST["first_name"]
    user.save()
    return HttpResponse("ok")


async def rename_async(request: HttpRequest, pk: int) -> HttpResponse:
    user = await get_user_model().objects.aget(pk=pk)
    user.first_name = request.POST["first_name"]
    # The save runs in a sync_to_async thread: the context variable must follow it there.
    await sync_to_async(user.save)()
    return HttpResponse("ok")


urlpatterns = [
    path("sync/<int:pk>/", rename_sync),
    path("async/<int:pk>/", rename_async),
]
