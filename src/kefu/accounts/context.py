from .selectors import count_unread_notifications


def notifications(request):
    user = getattr(request, "user", None)
    return {"kefu_unread": lambda: count_unread_notifications(user) if user is not None else 0}
