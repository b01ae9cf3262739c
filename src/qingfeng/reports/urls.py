from __future__ import annotations

from django.urls import path

from qingfeng.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.bulletins, name="bulletins"),
    path("new/", views.bulletin_new, name="bulletin_new"),
    path("<int:pk>/", views.bulletin_detail, name="bulletin"),
    path("<int:pk>/upload/", views.bulletin_upload, name="upload"),
    path("<int:pk>/approve/", views.bulletin_approve, name="approve"),
    path("<int:pk>/issue/", views.bulletin_issue, name="issue"),
    path("<int:pk>/pdf/", views.bulletin_pdf, name="render_pdf"),
    path("<int:pk>/v/<int:version_id>.docx", views.version_file, name="docx"),
    path("<int:pk>/v/<int:version_id>.pdf", views.version_pdf, name="pdf"),
]
