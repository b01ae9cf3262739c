from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session

from qingfeng.orgs.tests.test_login import sign_in, signed_in_as
from qingfeng.test import BaseTestCase

T0 = datetime(2026, 11, 5, 0, 30, tzinfo=UTC)


class SessionLimitsTestCase(BaseTestCase):
    def test_the_limits_come_from_settings(self) -> None:
        self.assertEqual(settings.QF_SESSION_IDLE_MINUTES, 30)
        # The row outlives the idle limit by the idle clock's minute; the middleware ends it.
        self.assertEqual(settings.SESSION_COOKIE_AGE, 31 * 60)
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
