"""URLs of the rules API."""

from django.urls import path

from rules import api

urlpatterns = [
    path("rules/", api.RuleListApi.as_view(), name="api-rule-list"),
    path("rules/import/dmn", api.RuleImportDmnApi.as_view(), name="api-rule-import-dmn"),
    path("rules/<int:rule_id>/", api.RuleDetailApi.as_view(), name="api-rule-detail"),
    path("rules/<int:rule_id>/draft/", api.RuleDraftApi.as_view(), name="api-rule-draft"),
    path(
        "rules/<int:rule_id>/draft/import",
        api.RuleDraftImportApi.as_view(),
        name="api-rule-draft-import",
    ),
    path("rules/<int:rule_id>/check", api.RuleCheckApi.as_view(), name="api-rule-check"),
    path("rules/<int:rule_id>/publish", api.RulePublishApi.as_view(), name="api-rule-publish"),
    path("rules/<int:rule_id>/evaluate", api.RuleEvaluateApi.as_view(), name="api-rule-evaluate"),
    path(
        "rules/<int:rule_id>/versions/",
        api.RuleVersionListApi.as_view(),
        name="api-rule-versions",
    ),
    path(
        "rules/<int:rule_id>/versions/<int:number>/",
        api.RuleVersionDetailApi.as_view(),
        name="api-rule-version",
    ),
    path("rules/<int:rule_id>/dmn", api.RuleDmnApi.as_view(), name="api-rule-dmn"),
    path("rules/<int:rule_id>/csv", api.RuleCsvApi.as_view(), name="api-rule-csv"),
    path(
        "rules/<int:rule_id>/permissions",
        api.RulePermissionApi.as_view(),
        name="api-rule-permissions",
    ),
]
