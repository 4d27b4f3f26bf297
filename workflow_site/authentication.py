"""Token authentication for the REST API (``REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]``).

Its own module: DRF imports it while ``rest_framework.views`` is still being imported.
"""

from __future__ import annotations

import functools
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import authentication
from rest_framework.exceptions import AuthenticationFailed

from workflow_site import statements


@functools.cache
def _token_with_user() -> tuple[statements.WithRelated, str]:
    from rest_framework.authtoken.models import Token

    rows = statements.WithRelated(Token, "user")
    return rows, f'{rows.select} WHERE {rows.rows.table}."key" = %s'


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, with the token and its user read by one statement built once
    rather than compiled by the ORM on every request (scripts send a token with each one)."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        rows, sql = _token_with_user()
        row = statements.fetch_one(sql, (key,))
        if row is None:
            raise AuthenticationFailed(_("Invalid token."))
        token = rows.read(row)
        user = token.user
        if not user.is_active:
            raise AuthenticationFailed(_("User inactive or deleted."))
        return user, token
