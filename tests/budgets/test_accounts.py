"""Signing out says so on the login page."""

from __future__ import annotations

from django.urls import reverse

from budgets.views.accounts import LOGGED_OUT


def test_signing_out_shows_the_login_page_saying_so(client_of, alice):
    client = client_of(alice)
    response = client.post(reverse("logout"), follow=True)
    assert response.redirect_chain == [(reverse("login"), 302)]
    html = response.content.decode()
    assert f'<li class="success">{LOGGED_OUT}</li>' in html
    assert "_auth_user_id" not in client.session


def test_the_message_is_shown_once(client_of, alice):
    client = client_of(alice)
    client.post(reverse("logout"), follow=True)
    assert LOGGED_OUT not in client.get(reverse("login")).content.decode()
