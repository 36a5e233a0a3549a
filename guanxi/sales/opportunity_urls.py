"""URLs of the opportunity screens beyond the generic ones: board, stage moves, tabs."""

from django.urls import path

from guanxi.sales import opportunity_views as views

urlpatterns = [
    path("opportunities/board/", views.opportunity_board, name="opportunity_board"),
    path("opportunities/board/more/", views.opportunity_board_more, name="opportunity_board_more"),
    path(
        "opportunities/stages/", views.opportunity_stage_options, name="opportunity_stage_options"
    ),
    path(
        "opportunities/<int:pk>/stage/", views.opportunity_stage_move, name="opportunity_stage_move"
    ),
    path(
        "opportunities/<int:pk>/contacts/add/",
        views.opportunity_contact_add,
        name="opportunity_contact_add",
    ),
    path(
        "opportunities/<int:pk>/contacts/<int:contact_id>/remove/",
        views.opportunity_contact_remove,
        name="opportunity_contact_remove",
    ),
    path(
        "opportunities/<int:pk>/lines/add/", views.opportunity_line_add, name="opportunity_line_add"
    ),
    path(
        "opportunities/<int:pk>/lines/<int:line_id>/remove/",
        views.opportunity_line_remove,
        name="opportunity_line_remove",
    ),
    path(
        "opportunities/<int:pk>/lines/total/",
        views.opportunity_line_total,
        name="opportunity_line_total",
    ),
    path(
        "opportunities/<int:pk>/competitors/add/",
        views.opportunity_competitor_add,
        name="opportunity_competitor_add",
    ),
    path(
        "opportunities/<int:pk>/competitors/<int:competitor_id>/remove/",
        views.opportunity_competitor_remove,
        name="opportunity_competitor_remove",
    ),
]
