"""LazyMessageMiddleware: storage built only when touched, messages still carried to the next request."""

from __future__ import annotations

import pytest
from django.contrib import messages
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse

from fanclub.core.middleware import LazyMessageMiddleware

pytestmark = pytest.mark.django_db


def _stack(view):
    return SessionMiddleware(LazyMessageMiddleware(view))


def test_a_message_added_in_one_request_is_read_in_the_next(rf):
    def add(request):
        messages.info(request, "Saved.")
        return HttpResponse("added")

    def read(request):
        return HttpResponse("|".join(str(m) for m in messages.get_messages(request)))

    first = _stack(add)(rf.get("/"))
    cookies = {name: morsel.value for name, morsel in first.cookies.items()}
    assert cookies  # the message went into a cookie or the session

    second_request = rf.get("/")
    second_request.COOKIES.update(cookies)
    assert _stack(read)(second_request).content == b"Saved."


def test_a_request_that_never_touches_messages_sets_no_cookie(rf):
    response = _stack(lambda request: HttpResponse("plain"))(rf.get("/"))
    assert "messages" not in response.cookies
    assert "sessionid" not in response.cookies
