"""Personal rectification items (个人整改清单) are need-to-know: the person named, the admins of
their unit and the levels above read them — a colleague of the same school does not, on any
path (list, detail, evidence, export, API, home card, the problems under another)."""

from __future__ import annotations

from io import BytesIO

from django.test import RequestFactory, override_settings
from openpyxl import load_workbook

from qingfeng.ledger import actions, cards, permissions, selectors
from qingfeng.ledger.models import Evidence, Problem
from qingfeng.ledger.tests.base import LedgerTestCase
from qingfeng.orgs import actions as org_actions
from qingfeng.orgs.models import Person, Role, User
from qingfeng.test import make_user

MEMORY = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PERSONAL = "违规收受家长礼品"  # 周小燕's own item
SCHOOL_WIDE = "课后服务收费公示不到位"  # the school's leadership list


@override_settings(STORAGES=MEMORY)
class NeedToKnowTestCase(LedgerTestCase):
    colleague: User
    county_staff: User

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.colleague = make_user(
            "colleague", unit=cls.school, role=Role.STAFF, name="欧阳静", phone="13712345678"
        )
        cls.county_staff = make_user(
            "county_staff", unit=cls.county, role=Role.STAFF, name="司马文"
        )

    def setUp(self) -> None:
        self.personal = self.rectifying(title=PERSONAL)
        self.evidence = Evidence.objects.get(problem=self.personal)
        self.school_wide = self.assigned(
            title=SCHOOL_WIDE,
            list_kind=Problem.ListKind.LEADERSHIP,
            responsible_person=Person.objects.get(user=self.school_admin),
        )

    def titles(self, user: User) -> set[str]:
        return set(selectors.problems_visible_to(user).values_list("title", flat=True))

    def test_who_reads_a_personal_item(self) -> None:
        for user in (
            self.teacher,
            self.school_admin,
            self.county_admin,
            self.bureau_admin,
            self.supervisor,
        ):
            with self.subTest(user=user.username):
                self.assertEqual(self.titles(user), {PERSONAL, SCHOOL_WIDE})
                self.assertTrue(permissions.can(user, "view", self.personal))
        for user in (self.colleague, self.county_staff):
            with self.subTest(user=user.username):
                self.assertEqual(self.titles(user), {SCHOOL_WIDE})
                self.assertFalse(permissions.can(user, "view", self.personal))
        self.assertEqual(self.titles(self.other_school_admin), set())

    def test_a_colleague_gets_404_for_the_page_and_the_evidence(self) -> None:
        self.login(self.colleague)
        listed = self.client.get("/ledger/")
        self.assertContains(listed, SCHOOL_WIDE)
        self.assertNotContains(listed, PERSONAL)
        self.assertEqual(self.client.get(f"/ledger/{self.personal.pk}/").status_code, 404)
        self.assertEqual(self.client.get(f"/ledger/evidence/{self.evidence.pk}/").status_code, 404)
        self.assertEqual(self.client.get(f"/ledger/{self.school_wide.pk}/").status_code, 200)
        self.login(self.teacher)  # the person named reads their own, with its evidence
        self.assertContains(self.client.get(f"/ledger/{self.personal.pk}/"), PERSONAL)
        self.assertEqual(self.client.get(f"/ledger/evidence/{self.evidence.pk}/").status_code, 200)

    def test_the_export_leaves_out_a_colleagues_item(self) -> None:
        def exported(user: User) -> set[str]:
            self.login(user)
            response = self.client.get("/ledger/export.xlsx")
            self.assertEqual(response.status_code, 200)
            sheet = load_workbook(BytesIO(response.content)).active
            assert sheet is not None
            return {str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell}

        self.assertIn(SCHOOL_WIDE, exported(self.colleague))
        self.assertNotIn(PERSONAL, exported(self.colleague))
        self.assertIn(PERSONAL, exported(self.school_admin))

    def test_the_api_leaves_out_a_colleagues_item(self) -> None:
        token = org_actions.do_create_api_token(self.colleague, name="个人对接")
        auth = {"authorization": f"Bearer {token}"}
        listed = self.client.get("/api/ledger/problems", headers=auth).json()["items"]
        self.assertEqual([p["title"] for p in listed], [SCHOOL_WIDE])
        detail = self.client.get(f"/api/ledger/problems/{self.personal.pk}", headers=auth)
        self.assertEqual(detail.status_code, 404)

    def test_the_home_card_counts_only_what_the_user_may_read(self) -> None:
        def lights(user: User) -> int:
            request = RequestFactory().get("/")
            request.user = user
            context = cards.overview_card(request)  # type: ignore[arg-type]
            assert context is not None
            return sum(context["ledger_lights"].values())

        self.assertEqual(lights(self.colleague), 1)
        self.assertEqual(lights(self.school_admin), 2)

    def test_a_personal_item_under_a_school_problem_is_not_listed_to_a_colleague(self) -> None:
        child = actions.check_create_problem(
            actor=self.county_admin,
            unit=self.school,
            list_kind=Problem.ListKind.PERSONAL,
            source=Problem.Source.SELF_CHECK,
            category=self.category,
            dimension=Problem.Dimension.INTEGRITY,
            title="诸葛老师有偿补课",
            description="周末在校外机构有偿补课。",
            rectification_type=Problem.RectificationType.TIME_LIMITED,
            deadline_workdays=10,
            responsible_person=self.teacher_person,
            parent=self.school_wide,
            measures=["退还补课费"],
        )
        self.login(self.colleague)
        self.assertNotContains(self.client.get(f"/ledger/{self.school_wide.pk}/"), child.title)
        self.login(self.school_admin)
        self.assertContains(self.client.get(f"/ledger/{self.school_wide.pk}/"), child.title)
