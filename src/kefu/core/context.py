from django.conf import settings

from . import extensions


def kefu(request):
    user = getattr(request, "user", None)
    return {
        "KEFU_COMPANY": settings.KEFU_COMPANY,
        "KEFU_HOTLINE": settings.KEFU_HOTLINE,
        # Links that higher apps add to the top bar (core.extensions.register_nav).
        "kefu_nav_agent": lambda: extensions.nav_links(user, "agent"),
        "kefu_nav_portal": lambda: extensions.nav_links(user, "portal"),
        "kefu_top_bar": lambda: extensions.top_bar(request),
    }
