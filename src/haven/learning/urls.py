from django.urls import path

from . import views_certificates, views_learner

app_name = "learning"
urlpatterns: list = [
    # Each part of the pillar appends its pages here.
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
]
