from django.urls import path

from . import (
    views_certificates,
    views_courses,
    views_dashboard,
    views_learner,
    views_policies,
    views_rules,
    views_settings,
    views_sso,
    views_staff,
    views_team,
)

app_name = "learning"
urlpatterns: list = [
    # Each part of the pillar appends its pages here.
    path("sso/", views_sso.sso_choose, name="sso_choose"),
    path("sso/<int:company_id>/start/", views_sso.sso_start, name="sso_start"),
    path("sso/callback/", views_sso.sso_callback, name="sso_callback"),
    path("settings/", views_settings.learning_settings_page, name="settings"),
    path("statements.json", views_settings.statements_download, name="statements"),
]

# Course authoring, for the company's learning admin (views_courses).
urlpatterns += [
    path("courses/", views_courses.courses, name="courses"),
    path("courses/new/", views_courses.course_edit, name="courses_create"),
    path("courses/<int:course_id>/", views_courses.course_detail, name="courses_course"),
    path("courses/<int:course_id>/edit/", views_courses.course_edit, name="courses_edit"),
    path("courses/<int:course_id>/versions/new/", views_courses.version_new, name="courses_version_new"),
    path("courses/versions/<int:version_id>/", views_courses.version_detail, name="courses_version"),
    path("courses/versions/<int:version_id>/publish/", views_courses.version_publish, name="courses_publish"),
    path("courses/versions/<int:version_id>/modules/new/", views_courses.module_edit, name="courses_module_create"),
    path("courses/modules/<int:module_id>/", views_courses.module_edit, name="courses_module"),
    path("courses/modules/<int:module_id>/move/", views_courses.module_move, name="courses_module_move"),
    path("courses/modules/<int:module_id>/delete/", views_courses.module_delete, name="courses_module_delete"),
    path(
        "courses/versions/<int:version_id>/questions/new/",
        views_courses.question_edit,
        name="courses_question_create",
    ),
    path("courses/questions/<int:question_id>/", views_courses.question_edit, name="courses_question"),
    path("courses/questions/<int:question_id>/delete/", views_courses.question_delete, name="courses_question_delete"),
]

# The learner's side: their courses, modules, the quiz, certificates; the public verification page.
urlpatterns += [
    path("", views_learner.home, name="home"),
    path("assignments/<int:assignment_id>/", views_learner.course, name="course"),
    path("assignments/<int:assignment_id>/modules/<int:position>/", views_learner.module, name="module"),
    path("assignments/<int:assignment_id>/modules/<int:position>/read/", views_learner.module_read, name="module_read"),
    path("assignments/<int:assignment_id>/quiz/", views_learner.quiz, name="quiz"),
    path("assignments/<int:assignment_id>/quiz/start/", views_learner.quiz_start, name="quiz_start"),
    path("assignments/<int:assignment_id>/quiz/submit/", views_learner.quiz_submit, name="quiz_submit"),
    path("assignments/<int:assignment_id>/quiz/<int:number>/", views_learner.attempt, name="attempt"),
    path("certificates/<int:certificate_id>.pdf", views_certificates.certificate_pdf, name="certificate_pdf"),
    path("verify/<str:code>/", views_certificates.verify, name="verify"),
    path("staff/", views_staff.staff_list, name="staff_list"),
    path("staff/<int:staff_id>/", views_staff.staff_detail, name="staff_detail"),
    path("staff/tokens/", views_staff.scim_tokens, name="scim_tokens"),
    path("staff/tokens/<int:token_id>/revoke/", views_staff.scim_token_revoke, name="scim_token_revoke"),
    path("staff/import/", views_staff.staff_import, name="staff_import"),
    path("staff/import/confirm/", views_staff.staff_import_confirm, name="staff_import_confirm"),
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
    path("dashboard/", views_dashboard.dashboard, name="dashboard"),
    path("dashboard/<int:course_id>/overdue.csv", views_dashboard.dashboard_csv, name="dashboard_csv"),
]
