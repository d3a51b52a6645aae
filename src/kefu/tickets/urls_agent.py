from django.urls import include, path

from . import views_agent as views
from . import views_customer, views_export

app_name = "agent"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("counts/", views.view_counts, name="counts"),
    path("search/", views.search, name="search"),
    path("export/", views_export.export, name="export"),
    # 新建工单 belongs to intake (every ticket comes in through intake.services.receive), a higher
    # layer: included by its dotted name, so tickets never imports it.
    path("tickets/new/", include("kefu.intake.urls_agent")),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:pk>/reply/", views.post_reply, name="reply"),
    path("tickets/<int:pk>/note/", views.post_note, name="note"),
    path("tickets/<int:pk>/update/", views.update, name="update"),
    path("tickets/<int:pk>/assign-me/", views.assign_me, name="assign_me"),
    path("tickets/<int:pk>/merge/", views.merge, name="merge"),
    path("tickets/<int:pk>/link/", views.link, name="link"),
    path("tickets/<int:pk>/share/", views.share, name="share"),
    path("tickets/<int:pk>/presence/", views.heartbeat, name="presence"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    # Customer 360 (kefu.urls mounts customers.urls first under agent/customers/: its own paths win).
    path("customers/", views_customer.customer_list, name="customers"),
    path("customers/<int:pk>/", views_customer.customer_detail, name="customer"),
    path("customers/<int:pk>/notes/", views_customer.customer_note, name="customer_note"),
    path("customers/<int:pk>/tags/", views_customer.customer_tags, name="customer_tags"),
    path("customers/<int:pk>/tier/", views_customer.customer_tier, name="customer_tier"),
    path("customers/<int:pk>/merge/", views_customer.customer_merge, name="customer_merge"),
    path(
        "customers/<int:pk>/merges/<int:merge_id>/undo/",
        views_customer.customer_unmerge,
        name="customer_unmerge",
    ),
]
