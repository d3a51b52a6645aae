"""Agent pages of work plans, mounted under /agent/plans/ (see kefu/urls.py)."""

from django.urls import path

from . import views, views_actions, views_output

app_name = "plans"
urlpatterns = [
    path("", views.plan_list, name="list"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/sections/", views.save_sections, name="sections"),
    path("<int:pk>/state/", views.move, name="move"),
    path("<int:pk>/goals/", views.add_goal, name="add_goal"),
    path("<int:pk>/goals/<int:goal>/", views.edit_goal, name="edit_goal"),
    path("<int:pk>/findings/<int:finding>/", views.work_finding, name="finding"),
    # actions and staff suggestions (views_actions.py)
    path("<int:pk>/actions/", views_actions.add_action, name="add_action"),
    path("<int:pk>/actions/<int:action>/", views_actions.work_action, name="work_action"),
    path("<int:pk>/suggestions/", views_actions.propose, name="propose"),
    path("<int:pk>/suggestions/<int:suggestion>/", views_actions.decide, name="decide"),
    # output: print view, downloads, evaluations, next period, quarter comparison, own templates
    path("<int:pk>/print/", views_output.print_view, name="print"),
    path("<int:pk>/export/<str:fmt>/", views_output.download, name="download"),
    path("<int:pk>/evaluations/", views_output.evaluate, name="evaluate"),
    path("<int:pk>/evaluations/<int:ev>/", views_output.evaluation, name="evaluation"),
    path("<int:pk>/evaluations/<int:ev>/do/", views_output.evaluation_action, name="evaluation_action"),
    path("<int:pk>/next/", views_output.seed_next, name="seed_next"),
    path("<int:pk>/compare/", views_output.compare, name="compare"),
    path("<int:pk>/template/", views_output.save_template, name="save_template"),
]
