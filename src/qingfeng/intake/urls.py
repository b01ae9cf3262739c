from __future__ import annotations

from django.urls import path

from qingfeng.intake import poster_views, views

app_name = "intake"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("export/", views.queue_export, name="export"),
    path("hotline/", views.hotline, name="hotline"),
    path("hotline/units/", views.hotline_units, name="hotline_units"),
    path("posters/", poster_views.poster_list, name="posters"),
    path("posters/print/", poster_views.poster_print_all, name="posters_print"),
    path("posters/<int:unit_id>/qr.png", poster_views.poster_png, name="poster_png"),
    path("posters/<int:unit_id>/qr.svg", poster_views.poster_svg, name="poster_svg"),
    path("posters/<int:unit_id>/poster.pdf", poster_views.poster_pdf, name="poster_pdf"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("<int:pk>/", views.ticket_detail, name="detail"),
    path("<int:pk>/reveal/", views.ticket_reveal, name="reveal"),
    path("<int:pk>/accept/", views.ticket_accept, name="accept"),
    path("<int:pk>/decline/", views.ticket_decline, name="decline"),
    path("<int:pk>/assign/", views.ticket_assign, name="assign"),
    path("<int:pk>/start/", views.ticket_start, name="start"),
    path("<int:pk>/return/", views.ticket_return, name="return"),
    path("<int:pk>/reply/", views.ticket_reply, name="reply"),
    path("<int:pk>/close/", views.ticket_close, name="close"),
    path("<int:pk>/merge/", views.ticket_merge, name="merge"),
    path("<int:pk>/note/", views.ticket_note, name="note"),
    path("<int:pk>/to-problem/", views.ticket_to_problem, name="to_problem"),
]
