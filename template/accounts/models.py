from typing import Any

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.exceptions import ValidationError

from .lookalikes import validate_not_lookalike


class UserManager(DjangoUserManager):
    """Django's user manager; `create_user` and `create_superuser` (so `createsuperuser`
    too) refuse a username that looks like an existing one (accounts/lookalikes.py)."""

    def create_user(self, username: str, *args: Any, **kwargs: Any) -> Any:
        validate_not_lookalike(self.all(), username)
        return super().create_user(username, *args, **kwargs)

    def create_superuser(self, username: str, *args: Any, **kwargs: Any) -> Any:
        validate_not_lookalike(self.all(), username)
        return super().create_superuser(username, *args, **kwargs)


class User(AbstractUser):
    """The project's user model.

    A custom model from the first migration, as Django recommends: fields can be added
    later without the painful mid-project switch away from `auth.User`.
    """

    objects = UserManager()

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        db_table = "accounts_user"

    def clean(self) -> None:
        """Normalise as Django does (NFKC username), and refuse a look-alike username."""
        typed = self.username
        super().clean()
        if not isinstance(typed, str) or not typed:
            return  # a form whose username field already failed leaves it empty
        others = type(self)._default_manager.exclude(pk=self.pk)
        try:
            validate_not_lookalike(others, typed)
        except ValidationError as error:
            raise ValidationError({"username": error}) from None
