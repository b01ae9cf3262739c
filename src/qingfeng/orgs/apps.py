from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "qingfeng.orgs"
    verbose_name = _("组织与账号")

    def ready(self) -> None:
        from qingfeng.core import registry
        from qingfeng.core.registry import DemoSeeder, HomeCard, ImportLog, Section
        from qingfeng.orgs import cards, demo
        from qingfeng.orgs.actions import retention
        from qingfeng.orgs.models import PERSON_TALLY, UNIT_TALLY
        from qingfeng.orgs.roster import work

        registry.add_urls("accounts/", "qingfeng.orgs.urls_accounts")
        registry.add_urls("orgs/", "qingfeng.orgs.urls")
        registry.add_retention_rule(retention.RULE)
        registry.add_tally(PERSON_TALLY)
        registry.add_tally(UNIT_TALLY)
        work.register()
        registry.add_import_log(ImportLog("orgs", _("名册导入"), "orgs.RosterImport"))
        registry.add_home_card(HomeCard("scope", "orgs/cards/scope.html", 10, cards.scope_card))
        registry.add_home_card(
            HomeCard("liaison", "orgs/cards/liaison.html", 80, cards.liaison_card)
        )
        registry.add_demo_seeder(
            DemoSeeder("orgs", 0, ready=demo.demo_accounts_exist, logins_help=demo.DEMO_LOGINS_HELP)
        )
        registry.add_menu_section(
            Section.SYSTEM,
            (
                ("units", _("组织机构"), "orgs:units"),
                ("people", _("人员名册"), "orgs:people"),
                ("roster", _("名册导入"), "orgs:roster_import"),
                ("liaisons", _("领导包片"), "orgs:liaisons"),
                ("accounts", _("账号管理"), "orgs:accounts"),
            ),
        )
