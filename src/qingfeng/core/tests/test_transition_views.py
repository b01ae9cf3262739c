"""The POST-only move view on its own, over core's notifications: the move "read" marks one
read through core's action, and is illegal on a notification already read."""

from __future__ import annotations

from typing import Any

from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.test import override_settings
from django.urls import path

from qingfeng import urls as project_urls
from qingfeng.core import actions
from qingfeng.core.models import Notification
from qingfeng.core.transition_views import TransitionViews
from qingfeng.orgs.models import User
from qingfeng.test import BaseTestCase


def notification_for_user(user: User, pk: int) -> Notification:
    return get_object_or_404(Notification.objects.filter(recipient=user), pk=pk)


def read(request: HttpRequest, notification: Notification, user: User) -> str:
    if notification.read_at is not None:
        raise ValidationError(["该通知已读", "无需重复操作"])
    actions.do_mark_notifications_read(user, ids=[notification.pk])
    return "已标为已读"


MOVES = TransitionViews(
    name="notification",
    lookup=notification_for_user,
    policy=lambda user, action, notification: action == "read",
    redirect=lambda user, notification: f"/n/{notification.pk}/",
)
notification_read = MOVES.view("read", read)
notification_forget = MOVES.view("forget", read)  # a move the policy never allows

# The project's routes too: the 404 page links home.
urlpatterns = [
    path("n/<int:pk>/read/", notification_read),
    path("n/<int:pk>/forget/", notification_forget),
    *project_urls.urlpatterns,
]


@override_settings(ROOT_URLCONF=__name__)
class TransitionViewTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.notification = actions.notify(recipient=self.school_admin, title="请签收")
        self.url = f"/n/{self.notification.pk}/read/"

    def messages_of(self, response: Any) -> list[tuple[str, str]]:
        return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]

    def read_at(self) -> Any:
        return Notification.objects.get(pk=self.notification.pk).read_at

    def test_it_makes_the_move_and_says_so(self) -> None:
        self.login(self.school_admin)
        response = self.client.post(self.url)
        self.assertRedirects(response, f"/n/{self.notification.pk}/", fetch_redirect_response=False)
        self.assertEqual(self.messages_of(response), [("success", "已标为已读")])
        self.assertIsNotNone(self.read_at())

    def test_get_is_not_allowed(self) -> None:
        self.login(self.school_admin)
        self.assertEqual(self.client.get(self.url).status_code, 405)
        self.assertIsNone(self.read_at())

    def test_an_illegal_move_shows_why_and_changes_nothing(self) -> None:
        actions.do_mark_notifications_read(self.school_admin, ids=[self.notification.pk])
        before = self.read_at()
        self.login(self.school_admin)
        response = self.client.post(self.url)
        self.assertRedirects(response, f"/n/{self.notification.pk}/", fetch_redirect_response=False)
        self.assertEqual(self.messages_of(response), [("error", "该通知已读；无需重复操作")])
        self.assertEqual(self.read_at(), before)

    def test_out_of_scope_is_a_404_and_changes_nothing(self) -> None:
        self.login(self.other_school_admin)
        self.assertEqual(self.client.post(self.url).status_code, 404)
        self.assertEqual(self.client.post("/n/999999/read/").status_code, 404)
        self.assertIsNone(self.read_at())

    def test_a_move_the_policy_refuses_is_a_404(self) -> None:
        self.login(self.school_admin)
        response = self.client.post(f"/n/{self.notification.pk}/forget/")
        self.assertEqual(response.status_code, 404)
        self.assertIsNone(self.read_at())

    def test_signing_in_comes_first(self) -> None:
        response = self.client.post(self.url)
        self.assertEqual(response.status_code, 302)
        self.assertIn("/accounts/login/", response["Location"])
        self.assertIsNone(self.read_at())

    def test_the_views_are_named_and_guarded(self) -> None:
        self.assertEqual(notification_read.__name__, "notification_read")
        self.assertEqual(notification_read.qf_policy, "signed_in")  # type: ignore[attr-defined]
