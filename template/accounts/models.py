from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Concat

from .search import LETTERS, SEPARATOR, SPELLED, SearchKey


class User(AbstractUser):
    """The project's user model.

    A custom model from the first migration, as Django recommends: fields can be added
    later without the painful mid-project switch away from `auth.User`.
    """

    # Computed by the database from username and email; the user table's search reads it
    # (accounts/search.py explains its spelling, admin_panel/user_pages.py its use).
    search_key = models.GeneratedField(
        expression=SearchKey(
            Concat("username", models.Value(SEPARATOR), "email", output_field=models.TextField()),
            spelled=SPELLED,
            letters=LETTERS,
        ),
        output_field=models.TextField(),
        db_persist=True,
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        db_table = "accounts_user"
