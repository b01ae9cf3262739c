from __future__ import annotations

from django.urls import path

from qingfeng.orgs.views import liaisons, people, units

app_name = "orgs"
urlpatterns = [
    path("units/", units.unit_tree, name="units"),
    path("units/<int:pk>/", units.unit_detail, name="unit"),
    path("units/<int:pk>/children/", units.unit_children, name="unit_children"),
    path("units/search/", units.unit_search, name="unit_search"),
    path("people/", people.people_list, name="people"),
    path("people/<int:pk>/", people.person_detail, name="person"),
    path("liaisons/", liaisons.liaison_list, name="liaisons"),
    path("liaisons/<int:user_id>/", liaisons.liaison_set, name="liaison_set"),
]
