from __future__ import annotations

from qingfeng.orgs import actions
from qingfeng.orgs.models import Person
from qingfeng.test import BaseTestCase


class HomePageTestCase(BaseTestCase):
    def test_it_shows_real_counts_of_the_scope(self) -> None:
        self.login(self.county_admin)
        response = self.client.get("/")
        self.assertEqual(response.context["counts"]["units"], 3)
        self.assertEqual(response.context["counts"]["schools"], 2)
        self.assertEqual(
            response.context["counts"]["people"], 3
        )  # county admin, school admin, teacher
        self.assertContains(response, "东城区教育局")

    def test_a_leader_sees_their_liaison_counties(self) -> None:
        self.login(self.leader)
        self.assertContains(self.client.get("/"), "我的包片县区")

    def test_navigation_lists_only_what_the_user_may_use(self) -> None:
        self.login(self.auditor)
        labels = [str(item["label"]) for item in self.client.get("/").context["nav"]]
        self.assertNotIn("组织机构", labels)
        self.assertNotIn("人员名册", labels)
        self.login(self.school_admin)
        labels = [str(item["label"]) for item in self.client.get("/").context["nav"]]
        self.assertIn("组织机构", labels)
        self.assertNotIn("领导包片", labels)


class UnitTreePageTestCase(BaseTestCase):
    def test_the_tree_starts_at_the_scope_roots(self) -> None:
        self.login(self.county_admin)
        response = self.client.get("/orgs/units/")
        self.assertEqual([u.pk for u in response.context["roots"]], [self.county.pk])
        children = self.client.get(f"/orgs/units/{self.county.pk}/children/")
        self.assertContains(children, "东城区实验小学")
        self.assertContains(children, "东城区第二中学")

    def test_search_by_alias_and_kind(self) -> None:
        self.login(self.bureau_admin)
        response = self.client.get(
            "/orgs/units/search/", {"q": "东实小"}, headers={"hx-request": "true"}
        )
        self.assertContains(response, "东城区实验小学")
        self.assertNotContains(response, "西山县第一中学")
        response = self.client.get("/orgs/units/search/", {"q": "", "kind": "county"})
        self.assertEqual(
            {u.name for u in response.context["results"]}, {"东城区教育局", "西山县教育局"}
        )

    def test_the_detail_page_shows_breadcrumbs_within_scope(self) -> None:
        self.login(self.county_admin)
        response = self.client.get(f"/orgs/units/{self.school.pk}/")
        self.assertEqual([a.pk for a in response.context["ancestors"]], [self.county.pk])


class PeopleListTestCase(BaseTestCase):
    def test_phones_are_masked_everywhere(self) -> None:
        self.login(self.county_admin)
        response = self.client.get("/orgs/people/")
        self.assertContains(response, "138****1234")
        self.assertNotContains(response, "13800001234")
        person = Person.objects.get(name="孙立平")
        detail = self.client.get(f"/orgs/people/{person.pk}/")
        self.assertContains(detail, "138****1234")
        self.assertNotContains(detail, "13800001234")

    def test_filters(self) -> None:
        self.login(self.bureau_admin)
        teacher = Person.objects.get(name="周小燕")
        actions.do_update_person(
            teacher,
            actor=self.bureau_admin,
            is_party_member=True,
            post_type=Person.PostType.PARTY_TEACHER,
        )
        response = self.client.get("/orgs/people/", {"party": "1"})
        self.assertEqual([p.name for p in response.context["page"]], ["周小燕"])
        response = self.client.get(
            "/orgs/people/", {"q": "13912345678"}
        )  # exact phone via blind index
        self.assertEqual([p.name for p in response.context["page"]], ["周小燕"])
        response = self.client.get("/orgs/people/", {"unit": self.other_school.pk})
        self.assertEqual([p.name for p in response.context["page"]], ["李明"])
        response = self.client.get("/orgs/people/", {"post_type": "party_teacher", "q": "周"})
        self.assertEqual(len(response.context["page"]), 1)

    def test_the_list_has_a_fixed_number_of_queries(self) -> None:
        self.login(self.bureau_admin)
        for i in range(30):
            actions.do_create_person(
                actor=None,
                unit=self.school2,
                name=f"测试{i}",
                post_type="teacher",
                phone=f"1370000{i:04d}",
            )
        self.client.get("/orgs/people/")  # warm caches
        # session, user, roles, count, notifications, the user's person, the page of people
        # with their units; a read does not save the session
        with self.assertNumQueries(7):
            self.client.get("/orgs/people/")
        for i in range(30, 60):
            actions.do_create_person(
                actor=None, unit=self.school, name=f"测试{i}", post_type="teacher"
            )
        with self.assertNumQueries(7):
            self.client.get("/orgs/people/", {"page": 2})

    def test_other_school_admin_sees_only_their_people(self) -> None:
        self.login(self.other_school_admin)
        response = self.client.get("/orgs/people/")
        self.assertEqual([p.name for p in response.context["page"]], ["李明"])


class PeoplePagingTestCase(BaseTestCase):
    def test_later_pages_keep_the_default_of_people_in_post(self) -> None:
        for i in range(55):
            actions.do_create_person(
                actor=None, unit=self.school2, name=f"在岗{i}", post_type="teacher"
            )
        actions.do_create_person(
            actor=None, unit=self.school2, name="已离岗者", post_type="teacher", is_active=False
        )
        self.login(self.county_admin)
        first = self.client.get("/orgs/people/")
        second = self.client.get("/orgs/people/", {"page": "2"})
        self.assertEqual(
            first.context["page"].paginator.count, second.context["page"].paginator.count
        )
        self.assertNotIn("已离岗者", [p.name for p in second.context["page"]])
        everyone = self.client.get("/orgs/people/", {"active": ""})
        self.assertEqual(
            everyone.context["page"].paginator.count, first.context["page"].paginator.count + 1
        )
