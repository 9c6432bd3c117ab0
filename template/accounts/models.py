from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """The project's user model.

    A custom model from the first migration, as Django recommends: fields can be added
    later without the painful mid-project switch away from `auth.User`.
    """

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        db_table = "accounts_user"
