from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class EmailOrUsernameBackend(ModelBackend):
    """Log in with a username or an email address (customers know their email, not a username)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username and "@" in username:
            user = get_user_model().objects.filter(email__iexact=username).order_by("pk").first()
            if user is None:
                get_user_model()().set_password(password)  # same cost as a real check: no timing oracle
                return None
            username = user.get_username()
        return super().authenticate(request, username=username, password=password, **kwargs)
