from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "qingfeng.intake"
    verbose_name = _("作风建设直通车")

    def ready(self) -> None:
        from qingfeng.core import registry
        from qingfeng.core.registry import DemoSeeder, HomeCard, Section
        from qingfeng.intake import (
            actions,
            cards,
            cases,
            complaints,
            demo,
            figures,
            similarity,
            sources,
        )
        from qingfeng.intake.actions import retention
        from qingfeng.intake.models import TICKET_SEARCH, TICKET_TALLY

        registry.add_urls("intake/", "qingfeng.intake.urls")
        registry.add_text_index(TICKET_SEARCH)
        registry.add_tally(TICKET_TALLY)
        registry.add_retention_rule(retention.RULE)
        registry.add_urls("report/", "qingfeng.intake.public_urls", public=True)
        registry.add_figures(figures.SOURCE)
        registry.add_home_card(
            HomeCard("intake", "intake/cards/overview.html", 25, cards.overview_card)
        )
        registry.add_problem_source(sources.TicketSource())
        registry.set_complaint_sink(complaints.ForwardedComplaints())
        registry.add_case_source(cases.TicketCases())
        # The duplicate check reads and computes before it writes: its own transactions.
        registry.add_job_handler("intake.after_submit", actions.after_submit, atomic=False)
        registry.add_job_handler("intake.after_followup", actions.after_followup)
        registry.add_worker_warmup("intake.similarity", similarity.warm)
        registry.add_demo_seeder(
            DemoSeeder("intake", 20, seed=demo.demo_lines, has_data=demo.has_tickets)
        )
        registry.add_menu_section(
            Section.CHECK,
            (
                ("intake", _("直通车工单"), "intake:queue"),
                ("hotline", _("热线录入"), "intake:hotline"),
                ("posters", _("直通车海报"), "intake:posters"),
            ),
        )
