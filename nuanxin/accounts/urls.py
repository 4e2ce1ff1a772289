from django.urls import path

from nuanxin.accounts import mfa_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("mfa/setup/", mfa_views.setup, name="mfa_setup"),
    path("mfa/verify/", mfa_views.verify, name="mfa_verify"),
]
