from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic.base import RedirectView
from django.views.i18n import JavaScriptCatalog

from kefu.api import api
from kefu.intake import urls_portal as intake_portal
from kefu.ops import views as ops_views
from kefu.tickets import urls_portal as tickets_portal

# The portal's pages come from two apps: following tickets (tickets) and ways in (intake).
portal_patterns = ([*tickets_portal.urlpatterns, *intake_portal.urlpatterns], "portal")

urlpatterns = [
    path("", ops_views.home, name="home"),
    path("healthz", ops_views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages that name no icon (the API docs, files).
    path("favicon.ico", RedirectView.as_view(url=static("kefu/favicon.svg"), permanent=True)),
    path("accounts/", include("kefu.accounts.urls")),
    path("agent/mail/", include("kefu.mail.urls")),
    path("agent/kb/", include("kefu.knowledge.urls")),
    path("agent/routing/", include("kefu.routing.urls")),
    path("agent/sla/", include("kefu.sla.urls")),
    path("agent/automation/", include("kefu.automation.urls")),
    path("agent/care/", include("kefu.care.urls")),
    path("feedback/", include("kefu.feedback.urls")),
    path("agent/analytics/", include("kefu.analytics.urls")),
    path("agent/plans/", include("kefu.plans.urls")),
    path("agent/collab/", include("kefu.collaboration.urls")),
    path("agent/quality/", include("kefu.quality.urls")),
    path("agent/training/", include("kefu.training.urls")),
    path("agent/workforce/", include("kefu.workforce.urls")),
    path("agent/emergency/", include("kefu.emergency.urls")),
    path("agent/customers/", include("kefu.customers.urls")),
    path("agent/", include("kefu.tickets.urls_agent")),
    path("help/", include("kefu.knowledge.urls_help")),
    path("portal/", include(portal_patterns)),
    path("contact/", include("kefu.intake.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
]

admin.site.site_header = settings.KEFU_COMPANY
admin.site.site_title = "kefu"

handler400 = "kefu.ops.errors.bad_request"
handler403 = "kefu.ops.errors.permission_denied"
handler404 = "kefu.ops.errors.page_not_found"
handler500 = "kefu.ops.errors.server_error"
