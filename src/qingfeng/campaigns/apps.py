from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "qingfeng.campaigns"
    verbose_name = _("专项工作")

    def ready(self) -> None:
        from qingfeng.campaigns import demo, figures, selectors
        from qingfeng.core import registry
        from qingfeng.core.registry import DemoSeeder, ProblemLinks, Section, UnitNoticeSource

        registry.add_urls("campaigns/", "qingfeng.campaigns.urls")
        # Reception days' public notices sit under the public notices' prefix (/notice/).
        registry.add_urls("notice/reception/", "qingfeng.campaigns.public_urls", public=True)
        registry.add_api_router("campaigns", "qingfeng.campaigns.api.router")
        # The coming reception days, printed on each unit's channel poster as well.
        registry.add_unit_notices(UnitNoticeSource("reception", selectors.poster_notices))
        registry.add_figures(figures.SOURCE)
        # The rules register answers the ledger's 建章立制 column (the ledger imports none).
        registry.add_problem_links(
            ProblemLinks("campaigns.rules", "rules", _("制度清单"), selectors.rule_links)
        )
        registry.add_figures(figures.ACTIVITIES)
        registry.add_demo_seeder(
            DemoSeeder("campaigns", 40, seed=demo.demo_lines, has_data=demo.has_campaigns)
        )
        registry.add_menu_section(
            Section.REPORT,
            (
                ("campaigns", _("专项工作"), "campaigns:list"),
                ("weekly", _("周调度"), "campaigns:weekly_home"),
                ("meetings", _("调度会"), "campaigns:meetings"),
                ("rules", _("制度清单"), "campaigns:rules"),
                ("activities", _("接待和下基层"), "campaigns:activities"),
                ("burden", _("减负监测"), "campaigns:burden"),
            ),
        )
