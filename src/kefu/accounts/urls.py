from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="accounts/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/forgot/", views.forgot_password, name="password_reset"),
    path("password/forgot/sent/", views.password_reset_sent, name="password_reset_sent"),
    path(
        "password/reset/<uidb64>/<token>/", views.SetNewPasswordView.as_view(), name="password_reset_confirm"
    ),
    path("password/reset/done/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.revoke, name="revoke_token"),
    path("notifications/", views.notifications, name="notifications"),
]
