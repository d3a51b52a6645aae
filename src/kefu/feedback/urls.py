from django.urls import path

from . import views

app_name = "feedback"

urlpatterns = [
    path("s/<str:token>/", views.csat, name="csat"),
    path("nps/<str:token>/", views.nps_page, name="nps"),
    path("portal/<int:pk>/rate/", views.portal_answer, name="portal_answer"),
    path("agent/answers/", views.answers, name="answers"),
    path("agent/product/", views.product_list, name="product"),
    path("agent/product/export/", views.export, name="export"),
    path("agent/product/<int:pk>/review/", views.review, name="review"),
    path("agent/tickets/<int:pk>/tag/", views.tag, name="tag"),
]
