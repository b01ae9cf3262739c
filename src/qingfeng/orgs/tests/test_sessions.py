from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from unittest import mock

import time_machine
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import OperationalError, connection
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext

from qingfeng.core.context import SESSION_SEEN
from qingfeng.orgs.middleware import SEEN_COOKIE, SessionLimitsMiddleware
from qingfeng.orgs.tests.test_login import sign_in, signed_in_as
from qingfeng.test import BaseTestCase

T0 = datetime(2026, 11, 5, 0, 30, tzinfo=UTC)


class SessionLimitsTestCase(BaseTestCase):
    def test_the_limits_come_from_settings(self) -> None:
        self.assertEqual(settings.QF_SESSION_IDLE_MINUTES, 30)
        # The row outlives the idle limit by the idle clock's minute; the middleware ends it.
        self.assertEqual(settings.SESSION_COOKIE_AGE, 12 * 3600)
        self.assertFalse(settings.SESSION_SAVE_EVERY_REQUEST)
        self.assertEqual(settings.QF_SESSION_ABSOLUTE_HOURS, 12)
        self.assertEqual(settings.SESSION_ENGINE, "django.contrib.sessions.backends.db")

    def test_an_idle_session_ends_after_thirty_minutes(self) -> None:
        with time_machine.travel(T0, tick=False) as traveller:
            sign_in(self.client, "teacher")
            traveller.shift(timedelta(minutes=29))
            self.assertEqual(self.client.get("/").status_code, 200)
            # Activity restarts the clock: another 29 minutes are fine again.
            traveller.shift(timedelta(minutes=29))
            self.assertEqual(self.client.get("/").status_code, 200)
            traveller.shift(timedelta(minutes=30, seconds=1))
            response = self.client.get("/orgs/units/")
            self.assertRedirects(
                response, "/accounts/login/?next=/orgs/units/", fetch_redirect_response=False
            )
            self.assertIsNone(signed_in_as(self.client))

    @override_settings(SESSION_COOKIE_AGE=31 * 60)
    def test_the_idle_clock_moves_at_most_once_a_minute(self) -> None:
        with time_machine.travel(T0, tick=False) as traveller:
            sign_in(self.client, "teacher")
            key = self.client.cookies["sessionid"].value
            row = Session.objects.get(session_key=key)
            for _step in range(5):  # five pages within a minute: the session is not saved
                traveller.shift(timedelta(seconds=10))
                self.assertEqual(self.client.get("/").status_code, 200)
            self.assertEqual(Session.objects.get(session_key=key).expire_date, row.expire_date)
            traveller.shift(timedelta(seconds=11))  # 61 s after sign-in: it moves, once
            self.assertEqual(self.client.get("/").status_code, 200)
            moved = Session.objects.get(session_key=key).expire_date
            self.assertEqual(moved - row.expire_date, timedelta(seconds=61))
            # 29 minutes 59 seconds of silence after the last move: still signed in…
            traveller.shift(timedelta(minutes=29, seconds=59))
            self.assertEqual(self.client.get("/").status_code, 200)

    def test_idle_just_over_the_limit_ends_even_inside_the_minute(self) -> None:
        with time_machine.travel(T0, tick=False) as traveller:
            sign_in(self.client, "teacher")
            traveller.shift(timedelta(seconds=59))
            self.assertEqual(self.client.get("/").status_code, 200)  # not saved (< 1 min)
            # The clock counts from the sign-in, not from that unsaved view: 30 min + 1 s.
            traveller.shift(timedelta(minutes=29, seconds=2))
            response = self.client.get("/orgs/units/")
            self.assertRedirects(
                response, "/accounts/login/?next=/orgs/units/", fetch_redirect_response=False
            )

    def test_a_busy_session_still_ends_after_twelve_hours(self) -> None:
        with time_machine.travel(T0, tick=False) as traveller:
            sign_in(self.client, "teacher")
            for _step in range(12 * 60 // 20 - 1):  # a request every 20 minutes
                traveller.shift(timedelta(minutes=20))
                self.assertEqual(self.client.get("/").status_code, 200)
            traveller.shift(timedelta(minutes=19, seconds=59))  # 11:59:59 after sign-in
            self.assertEqual(self.client.get("/").status_code, 200)
            traveller.shift(timedelta(seconds=2))
            response = self.client.get("/orgs/units/")
            self.assertRedirects(response, "/accounts/login/", fetch_redirect_response=False)
            self.assertIsNone(signed_in_as(self.client))
            self.assertContains(self.client.get("/accounts/login/"), "登录已超时，请重新登录")

    def test_a_session_without_a_start_time_is_not_trusted(self) -> None:
        self.client.force_login(self.teacher)
        response = self.client.get("/")
        self.assertRedirects(response, "/accounts/login/", fetch_redirect_response=False)

    def test_the_api_answers_401_after_the_absolute_limit(self) -> None:
        with time_machine.travel(T0, tick=False) as traveller:
            sign_in(self.client, "teacher")
            self.assertEqual(self.client.get("/api/orgs/me").status_code, 200)
            traveller.shift(timedelta(hours=12, minutes=1))
            self.assertEqual(self.client.get("/api/orgs/me").status_code, 401)

    def test_signing_in_gives_a_new_session_key(self) -> None:
        self.client.get("/accounts/login/")
        self.client.cookies["sessionid"] = "attacker-chosen-session-key"
        sign_in(self.client, "teacher")
        self.assertNotEqual(self.client.cookies["sessionid"].value, "attacker-chosen-session-key")

    def test_signing_out_ends_the_session_on_the_server(self) -> None:
        sign_in(self.client, "teacher")
        stolen = self.client.cookies["sessionid"].value
        self.client.post("/accounts/logout/")
        self.client.cookies["sessionid"] = stolen
        response = self.client.get("/")
        self.assertRedirects(response, "/accounts/login/?next=/", fetch_redirect_response=False)


WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def session_writes(context: CaptureQueriesContext) -> list[str]:
    """The statements of a request that wrote to the session table."""
    return [
        q["sql"]
        for q in context
        if q["sql"].lstrip().upper().startswith(WRITES) and "django_session" in q["sql"]
    ]


def stamp(client: Client) -> float:
    return float(client.session[SESSION_SEEN])


# The row outliving the idle limit by a minute (today's setting, pinned here so that these
# tests keep their meaning when the setting changes): the row moves at most once a minute.
ROW_BY_THE_MINUTE = override_settings(SESSION_COOKIE_AGE=31 * 60)


@ROW_BY_THE_MINUTE
class IdleClockWritesTestCase(BaseTestCase):
    """A page that only reads does not write the session on every request."""

    def read(self) -> list[str]:
        with CaptureQueriesContext(connection) as context:
            self.assertEqual(self.client.get("/").status_code, 200)
        return session_writes(context)

    def test_a_second_read_within_the_minute_does_not_write_the_session(self) -> None:
        with time_machine.travel(T0, tick=False) as traveller:
            sign_in(self.client, "teacher")
            traveller.shift(timedelta(seconds=70))
            self.assertEqual(len(self.read()), 1)  # the first read after a minute moves it
            traveller.shift(timedelta(seconds=30))
            self.assertEqual(self.read(), [])
            traveller.shift(timedelta(seconds=29))
            self.assertEqual(self.read(), [])

    def test_the_stamp_is_refreshed_after_the_minute(self) -> None:
        with time_machine.travel(T0, tick=False) as traveller:
            sign_in(self.client, "teacher")
            traveller.shift(timedelta(seconds=59))
            self.assertEqual(self.read(), [])
            self.assertNotIn(SESSION_SEEN, self.client.session)
            traveller.shift(timedelta(seconds=2))
            (update,) = self.read()
            self.assertTrue(update.lstrip().upper().startswith("UPDATE"))
            self.assertEqual(stamp(self.client), (T0 + timedelta(seconds=61)).timestamp())

    def test_the_idle_timeout_signs_out_after_reads_that_wrote_nothing(self) -> None:
        with time_machine.travel(T0, tick=False) as traveller:
            sign_in(self.client, "teacher")
            traveller.shift(timedelta(minutes=2))
            self.read()  # the stamp moves: T0 + 2 min
            traveller.shift(timedelta(seconds=50))
            self.assertEqual(self.read(), [])  # inside the minute: not counted, not written
            traveller.shift(timedelta(minutes=29, seconds=11))  # 30 min 1 s after the stamp
            response = self.client.get("/orgs/units/")
            self.assertRedirects(
                response, "/accounts/login/?next=/orgs/units/", fetch_redirect_response=False
            )
            self.assertIsNone(signed_in_as(self.client))

    def test_a_read_whose_stamp_cannot_be_saved_is_still_served(self) -> None:
        """On SQLite the write lock can stay busy past its timeout under a burst; a page that
        only reads is served all the same (not Django's 400 for an interrupted session)."""
        with time_machine.travel(T0, tick=False) as traveller:
            sign_in(self.client, "teacher")
            traveller.shift(timedelta(minutes=2))
            locked = OperationalError("database is locked")
            with (
                mock.patch.object(SessionStore, "save", side_effect=locked) as save,
                self.assertLogs("qingfeng.orgs.middleware", "WARNING"),
            ):
                self.assertEqual(self.client.get("/").status_code, 200)
            save.assert_called_once()
            self.assertNotIn(SESSION_SEEN, self.client.session)
            self.assertIn(SEEN_COOKIE, self.client.cookies)  # the cookie kept the clock
            traveller.shift(timedelta(seconds=5))
            self.assertEqual(len(self.read()), 1)  # the next request saves it
            self.assertEqual(stamp(self.client), (T0 + timedelta(minutes=2, seconds=5)).timestamp())

    def test_a_view_that_changed_the_session_leaves_the_save_to_the_session_middleware(
        self,
    ) -> None:
        """Only a stamp-only save is given up on failure; a session the view changed is saved
        by Django's SessionMiddleware, stamp included, and fails the request if it cannot be."""
        with time_machine.travel(T0, tick=False) as traveller:
            sign_in(self.client, "teacher")
            traveller.shift(timedelta(minutes=2))
            request = RequestFactory().get("/")
            request.session = SessionStore(self.client.cookies["sessionid"].value)
            request.user = self.teacher

            def view(request: HttpRequest) -> HttpResponse:
                request.session["chosen"] = 1
                return HttpResponse()

            with mock.patch.object(SessionStore, "save") as save:
                SessionLimitsMiddleware(view)(request)
            save.assert_not_called()
            self.assertTrue(request.session.modified)
            self.assertEqual(request.session[SESSION_SEEN], time.time())


@override_settings(SESSION_COOKIE_AGE=12 * 3600)
class IdleClockInTheCookieTestCase(BaseTestCase):
    """With the row living to the absolute limit, the idle clock moves in the signed cookie
    and reading pages writes nothing on the server at all."""

    def read(self, url: str = "/") -> list[str]:
        with CaptureQueriesContext(connection) as context:
            self.assertEqual(self.client.get(url).status_code, 200)
        return session_writes(context)

    def test_an_hour_of_reading_writes_no_session_and_keeps_the_user_in(self) -> None:
        with time_machine.travel(T0, tick=False) as traveller:
            sign_in(self.client, "teacher")
            for _step in range(12):  # a page every five minutes for an hour
                traveller.shift(timedelta(minutes=5))
                self.assertEqual(self.read(), [])
            self.assertEqual(signed_in_as(self.client), self.teacher.pk)
            traveller.shift(timedelta(minutes=29, seconds=59))
            self.assertEqual(self.read(), [])
            traveller.shift(timedelta(minutes=30, seconds=1))
            response = self.client.get("/orgs/units/")
            self.assertRedirects(
                response, "/accounts/login/?next=/orgs/units/", fetch_redirect_response=False
            )

    def test_without_the_cookie_the_row_s_stamp_counts(self) -> None:
        with time_machine.travel(T0, tick=False) as traveller:
            sign_in(self.client, "teacher")
            traveller.shift(timedelta(minutes=20))
            self.read()  # the cookie says T0 + 20 min; the row still says T0
            del self.client.cookies[SEEN_COOKIE]
            traveller.shift(timedelta(minutes=10, seconds=1))
            self.client.get("/")
            self.assertIsNone(signed_in_as(self.client))

    def test_a_cookie_of_another_session_or_altered_does_not_count(self) -> None:
        own, other, altered = Client(), Client(), Client()
        with time_machine.travel(T0, tick=False) as traveller:
            sign_in(own, "teacher")
            sign_in(other, "school_admin")
            sign_in(altered, "other_admin")
            traveller.shift(timedelta(minutes=20))
            self.client = own
            self.read()  # own's clock moves to T0 + 20 min in its cookie only
            value = own.cookies[SEEN_COOKIE].value
            later = f"{(T0 + timedelta(minutes=29)).timestamp():.0f}"
            other.cookies[SEEN_COOKIE] = value
            altered.cookies[SEEN_COOKIE] = later + value[value.index(":") :]
            traveller.shift(timedelta(minutes=10, seconds=1))  # 30 min 1 s after sign-in
            for client in (own, other, altered):
                client.get("/")
            self.assertEqual(signed_in_as(own), self.teacher.pk)
            self.assertIsNone(signed_in_as(other))
            self.assertIsNone(signed_in_as(altered))
