from django.urls import path

from . import views_policies, views_rules, views_team

app_name = "learning"
urlpatterns: list = [
    # Each part of the pillar appends its pages here.
    # Rules, policies and the manager's team (helper F).
    path("rules/", views_rules.rule_list, name="rules"),
    path("rules/new/", views_rules.rule_create, name="rule_create"),
    path("rules/<int:rule_id>/", views_rules.rule_edit, name="rule_edit"),
    path("rules/<int:rule_id>/deactivate/", views_rules.rule_deactivate, name="rule_deactivate"),
    path("rules/<int:rule_id>/reactivate/", views_rules.rule_reactivate, name="rule_reactivate"),
    path("policies/", views_policies.policy_list, name="policies"),
    path("policies/<int:policy_id>/", views_policies.policy_detail, name="policy"),
    path("policies/versions/<int:version_id>/publish/", views_policies.policy_publish, name="policy_publish"),
    path("attest/<int:version_id>/", views_policies.attest, name="attest"),
    path("team/", views_team.team, name="team"),
]
