"""Objects of 东城区实验小学 for the "another school's id → 404" check of every route with an id
(core/tests/objects.py says the convention): the API's ids are the pages' objects."""

from __future__ import annotations

from qingfeng.campaigns.tests import objects as campaigns
from qingfeng.core.tests.objects import Factory, Made
from qingfeng.evaluation.tests import objects as evaluation
from qingfeng.intake.tests import objects as intake
from qingfeng.learning.tests import objects as learning
from qingfeng.ledger.models import OfflinePublication
from qingfeng.ledger.tests import objects as ledger
from qingfeng.orgs.tests import objects as orgs
from qingfeng.oversight.tests import objects as oversight
from qingfeng.reports.tests import objects as reports
from qingfeng.test import BaseTestCase


def renamed(factory: Factory, name: str) -> Factory:
    """The pages' object under the API's name for its id."""

    def make(case: BaseTestCase) -> Made:
        made = factory(case)
        return Made({name: made.ids["pk"]}, made.owner)

    return make


def publication(case: BaseTestCase) -> Made:
    """An offline publication, by its problem's id and its own."""
    made = ledger.publication(case)
    problem_id = OfflinePublication.objects.get(pk=made.ids["pk"]).problem_id
    return Made({"problem_id": problem_id, "publication_id": made.ids["pk"]}, made.owner)


def replied_ticket(case: BaseTestCase) -> Made:
    """A closed (replied) ticket of the school, proposed as a typical case (learning reaches
    tickets only through the registry, so its route's object is made here)."""
    from qingfeng.intake.actions import handling

    ticket = handling.do_start(intake.assigned(case), actor=case.school_admin)
    handling.check_reply(ticket, actor=case.school_admin, body="已责令退还费用，并在全校通报。")
    ids = {"source": "intake.ticket", "pk": ticket.pk}  # the source's key is a route argument
    return Made(ids, case.school_admin)  # type: ignore[arg-type]


def renamed_ids(factory: Factory, **names: str) -> Factory:
    """The pages' object with each of its ids under the API's name (new=old)."""

    def make(case: BaseTestCase) -> Made:
        made = factory(case)
        return Made({new: made.ids[old] for new, old in names.items()}, made.owner)

    return make


OBJECTS: dict[str, Factory] = {
    "api:get_unit": renamed(orgs.school, "unit_id"),
    "api:get_person": renamed(orgs.teacher, "person_id"),
    "api:get_problem": renamed(ledger.problem, "problem_id"),
    "api:intake_ticket": renamed(intake.ticket, "ticket_id"),
    "api:decide_offline_publication": publication,
    "api:evaluation_results": renamed(evaluation.round_, "round_id"),
    "api:evaluation_round_open": renamed(evaluation.round_, "round_id"),
    "api:evaluation_round_close": renamed(evaluation.round_, "round_id"),
    "api:evaluation_round_publish": renamed(evaluation.round_, "round_id"),
    "api:evaluation_review": renamed_ids(
        evaluation.flagged, round_id="pk", response_id="response_id"
    ),
    "api:evaluation_third_party": renamed_ids(
        evaluation.unit_result, round_id="pk", unit_id="unit_id"
    ),
    "api:evaluation_discipline": renamed_ids(
        evaluation.unit_result, round_id="pk", unit_id="unit_id"
    ),
    "api:campaigns_weekly": renamed(campaigns.campaign, "campaign_id"),
    "api:campaigns_item_done": renamed(campaigns.item, "item_id"),
    "api:campaigns_activity": renamed(campaigns.activity, "activity_id"),
    "api:campaigns_activity_matter": renamed(campaigns.activity, "activity_id"),
    "api:campaigns_rule_link": renamed(campaigns.rule, "rule_id"),
    "api:reports_bulletin": renamed(reports.bulletin, "bulletin_id"),
    "api:oversight_visit": oversight.api_visit,
    "api:oversight_draw_value": oversight.api_draw,
    "learning:propose_item": replied_ticket,
    "api:learning_type": learning.session_type_api,
    "api:learning_type_active": learning.session_type_api,
    "api:oversight_round": oversight.api_round,
    "api:oversight_group": oversight.api_group,
}
