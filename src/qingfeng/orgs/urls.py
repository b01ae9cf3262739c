from __future__ import annotations

from django.urls import path

from qingfeng.orgs.views import account_admin, liaisons, people, roster, units

app_name = "orgs"
urlpatterns = [
    path("units/", units.unit_tree, name="units"),
    path("units/<int:pk>/", units.unit_detail, name="unit"),
    path("units/<int:pk>/children/", units.unit_children, name="unit_children"),
    path("units/search/", units.unit_search, name="unit_search"),
    path("people/", people.people_list, name="people"),
    path("people/<int:pk>/", people.person_detail, name="person"),
    path("roster/", roster.roster_import, name="roster_import"),
    path("roster/<int:pk>/", roster.roster_result, name="roster_result"),
    path("roster/<int:pk>/errors.xlsx", roster.roster_error_file, name="roster_errors"),
    path("roster/template.xlsx", roster.roster_template, name="roster_template"),
    path("roster/export.xlsx", roster.roster_export, name="roster_export"),
    path("roster/export-clear.xlsx", roster.roster_export_clear, name="roster_export_clear"),
    path("liaisons/", liaisons.liaison_list, name="liaisons"),
    path("accounts/", account_admin.account_list, name="accounts"),
    path("accounts/new/", account_admin.account_create, name="account_create"),
    path("accounts/person-picker/", account_admin.person_picker, name="person_picker"),
    path("accounts/<int:pk>/", account_admin.account_detail, name="account"),
    path("accounts/<int:pk>/grant/", account_admin.account_grant, name="account_grant"),
    path(
        "accounts/<int:pk>/roles/<int:role_pk>/revoke/",
        account_admin.account_revoke,
        name="account_revoke",
    ),
    path("accounts/<int:pk>/security/", account_admin.account_security, name="account_security"),
    path("liaisons/<int:user_id>/", liaisons.liaison_set, name="liaison_set"),
]
