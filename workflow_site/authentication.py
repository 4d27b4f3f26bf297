"""Token authentication for the REST API (``REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]``).

Its own module: DRF imports it while ``rest_framework.views`` is still being imported.
"""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from rest_framework import authentication
from rest_framework.exceptions import AuthenticationFailed

from workflow_site import statements


@functools.cache
def _token_columns() -> tuple[statements.Columns, statements.Columns]:
    from rest_framework.authtoken.models import Token

    return statements.Columns(Token), statements.Columns(get_user_model())


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, with the token and its user read by one statement built once
    rather than compiled by the ORM on every request (scripts send a token with each one)."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        tokens, users = _token_columns()
        row = statements.fetch_one(
            f"SELECT {tokens.sql}, {users.sql} FROM {tokens.table} "  # noqa: S608 - names from the models
            f'INNER JOIN {users.table} ON {users.table}."id" = {tokens.table}."user_id" '
            f'WHERE {tokens.table}."key" = %s',
            (key,),
        )
        if row is None:
            raise AuthenticationFailed(_("Invalid token."))
        token, user = tokens.read(row), users.read(row, len(tokens))
        if not user.is_active:
            raise AuthenticationFailed(_("User inactive or deleted."))
        type(token).user.field.set_cached_value(token, user)
        return user, token
