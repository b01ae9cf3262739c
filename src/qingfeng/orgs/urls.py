from __future__ import annotations

from django.urls import path

from qingfeng.orgs.views import account_admin, liaisons, people, units

app_name = "orgs"
urlpatterns = [
    path("units/", units.unit_tree, name="units"),
    path("units/<int:pk>/", units.unit_detail, name="unit"),
    path("units/<int:pk>/children/", units.unit_children, name="unit_children"),
    path("units/search/", units.unit_search, name="unit_search"),
    path("people/", people.people_list, name="people"),
    path("people/<int:pk>/", people.person_detail, name="person"),
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
