from django.urls import path

from rules import views

urlpatterns = [
    path("", views.rule_list, name="rules"),
    path("new/", views.rule_new, name="rule-new"),
    path("import/", views.rule_import, name="rule-import"),
    path("<int:rule_id>/", views.rule_editor, name="rule-editor"),
    path("<int:rule_id>/try/", views.rule_try, name="rule-try"),
    path("<int:rule_id>/history/", views.rule_history, name="rule-history"),
    path("<int:rule_id>/draft-import/", views.rule_draft_import, name="rule-draft-import"),
]
