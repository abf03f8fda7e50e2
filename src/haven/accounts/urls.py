from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/verify/", views.sign_in_verify, name="sign_in_verify"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("", views.profile, name="profile"),
    path("password/", views.password_change, name="password_change"),
    path("mfa/setup/", views.mfa_setup, name="mfa_setup"),
    path("mfa/qr.svg", views.mfa_qr, name="mfa_qr"),
    path("mfa/recovery-codes/", views.mfa_recovery_codes, name="mfa_recovery_codes"),
    path("mfa/disable/", views.mfa_disable, name="mfa_disable"),
    path("switch/", views.switch_membership, name="switch_membership"),
    path("invitations/<str:token>/", views.invitation_accept_view, name="invitation_accept"),
]
