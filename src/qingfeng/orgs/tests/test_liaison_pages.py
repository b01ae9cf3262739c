from __future__ import annotations

from qingfeng.orgs.models import Liaison
from qingfeng.test import BaseTestCase


class LiaisonPageTestCase(BaseTestCase):
    def test_the_bureau_admin_assigns_two_counties(self) -> None:
        self.login(self.bureau_admin)
        page = self.client.get("/orgs/liaisons/")
        self.assertContains(page, "郑志强")
        response = self.client.post(
            f"/orgs/liaisons/{self.leader.pk}/",
            {"county": [self.county.pk, self.other_county.pk]},
            follow=True,
        )
        self.assertContains(response, "已更新 郑志强 的包片县区")
        self.assertEqual(Liaison.objects.filter(leader=self.leader).count(), 2)

    def test_three_counties_are_refused_with_a_message_and_nothing_changes(self) -> None:
        self.login(self.bureau_admin)
        response = self.client.post(
            f"/orgs/liaisons/{self.leader.pk}/",
            {"county": [self.county.pk, self.school.pk]},
            follow=True,
        )
        self.assertEqual(response.status_code, 404)  # a school is not in the county choices
        response = self.client.post(f"/orgs/liaisons/{self.leader.pk}/", {}, follow=True)
        self.assertContains(response, "每位领导须包片 1 至 2 个县区")
        self.assertEqual(
            list(Liaison.objects.filter(leader=self.leader).values_list("county", flat=True)),
            [self.county.pk],
        )

    def test_others_may_not_manage_liaisons(self) -> None:
        for user in (self.county_admin, self.leader, self.system_admin):
            self.login(user)
            self.assertEqual(self.client.get("/orgs/liaisons/").status_code, 403)
            self.assertEqual(
                self.client.post(
                    f"/orgs/liaisons/{self.leader.pk}/", {"county": [self.county.pk]}
                ).status_code,
                403,
            )
