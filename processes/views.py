"""Pages of the processes app."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from processes import selectors


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The journeys the signed-in user may start."""
    journeys = selectors.journeys_startable_by(user=request.user)
    return render(request, "processes/home.html", {"journeys": journeys})
