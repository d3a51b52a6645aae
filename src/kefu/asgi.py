import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

from kefu.core.asgi_limits import BodyLimits  # noqa: E402

django_app = get_asgi_application()
# Body size and time limits wrap every HTTP route, before Django reads a byte of the body.
application = ProtocolTypeRouter({"http": BodyLimits(django_app)})
