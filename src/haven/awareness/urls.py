from django.urls import path

from . import views

app_name = "awareness"

urlpatterns: list = []

# Campaigns, their links and results (the company's creative team and org admin); the calendar; the program's view.
urlpatterns += [
    path("", views.campaigns, name="campaigns"),
    path("new/", views.campaign_edit, name="campaign_create"),
    path("<int:campaign_id>/", views.campaign, name="campaign"),
    path("<int:campaign_id>/edit/", views.campaign_edit, name="campaign_edit"),
    path("<int:campaign_id>/live/", views.campaign_go_live, name="campaign_go_live"),
    path("<int:campaign_id>/end/", views.campaign_end, name="campaign_end"),
    path("<int:campaign_id>/cancel/", views.campaign_cancel, name="campaign_cancel"),
    path("<int:campaign_id>/links/", views.campaign_links, name="campaign_links"),
    path("<int:campaign_id>/results/import/", views.results_import, name="results_import"),
    path("<int:campaign_id>/results/import/confirm/", views.results_import_confirm, name="results_import_confirm"),
    path("results-template.csv", views.results_template, name="results_template"),
    path("events/", views.events, name="events"),
    path("events/new/", views.event_edit, name="event_create"),
    path("events/<int:event_id>/", views.event_edit, name="event_edit"),
    path("program/", views.program_campaigns, name="program"),
    path("program/<int:campaign_id>/", views.program_campaign, name="program_campaign"),
]
