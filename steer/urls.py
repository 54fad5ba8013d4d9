from django.contrib.auth import views as auth_views
from django.urls import include, path

from steer.accounts import views as account_views
from steer.accounts.admin_site import site as admin_site
from steer.api import api as steer_api
from steer.api import views as api_views
from steer.assessment import priorities_views
from steer.assessment import views as assessment_views
from steer.core import views as core_views
from steer.documents import views as document_views
from steer.notifications import views as notification_views
from steer.programmes import unit_views
from steer.programmes import views as programme_views
from steer.ranking import views as ranking_views
from steer.reporting import views as reporting_views
from steer.steering.views import (
    directives,
    inspections,
    plan,
    plan_items,
    recommendations,
    work,
)

programme_urls = [
    path("", assessment_views.overview, name="programme_overview"),
    path("tree/", programme_views.tree, name="programme_tree"),
    path("indicators/<str:code>/", assessment_views.indicator_page, name="indicator_detail"),
    path("scorecard/<str:unit_code>/", assessment_views.scorecard, name="scorecard"),
    path("compare/", assessment_views.compare, name="compare_units"),
    path("plan-items/", plan_items.plan_item_list, name="plan_item_list"),
    path("plan-items/<str:code>/", programme_views.plan_item_detail, name="plan_item_detail"),
    path("copy/", programme_views.copy, name="programme_copy"),
    path("reports/", reporting_views.report_list, name="report_list"),
    path("reports/<slug:form_code>/", reporting_views.form_status_view, name="form_status"),
    path(
        "reports/<slug:form_code>/<str:period_code>/<str:unit_code>/",
        reporting_views.report_entry,
        name="report_entry",
    ),
    path(
        "reports/<slug:form_code>/<str:period_code>/<str:unit_code>/check/",
        reporting_views.check_value,
        name="report_check",
    ),
    path(
        "reports/<slug:form_code>/<str:period_code>/<str:unit_code>/workbook/",
        reporting_views.report_workbook,
        name="report_workbook",
    ),
    path(
        "reports/<slug:form_code>/<str:period_code>/<str:unit_code>/history/",
        reporting_views.value_history,
        name="value_history",
    ),
    path("evidence/<int:pk>/", reporting_views.evidence_file, name="evidence_file"),
    path("import/", reporting_views.import_upload, name="import_upload"),
    path("import/<int:pk>/", reporting_views.import_preview, name="import_preview"),
    path("export/", reporting_views.export_values, name="export_values"),
    path("plan-items/<str:code>/progress/", plan.progress, name="plan_item_progress"),
    path("plan-items/<str:code>/deadline/", plan.deadline, name="plan_item_deadline"),
    path("directives/", directives.directive_list, name="directive_list"),
    path("directives/new/", directives.directive_new, name="directive_new"),
    path("directives/<int:number>/", directives.directive_detail, name="directive_detail"),
    path("files/<int:pk>/", directives.attachment_file, name="steering_file"),
    path("inspections/", inspections.inspection_list, name="inspection_list"),
    path("inspections/new/", inspections.inspection_new, name="inspection_new"),
    path("inspections/<int:pk>/", inspections.inspection_detail, name="inspection_detail"),
    path("recommendations/", recommendations.recommendation_list, name="recommendation_list"),
    path("recommendations/new/", recommendations.recommendation_new, name="recommendation_new"),
    path(
        "recommendations/<int:number>/",
        recommendations.recommendation_detail,
        name="recommendation_detail",
    ),
    path("syntheses/<int:pk>/", recommendations.synthesis_detail, name="synthesis_detail"),
    path("work/", work.my_work, name="my_work"),
    path("overdue/", work.overdue, name="overdue"),
    path("timeline/", work.timeline, name="timeline"),
    path("calendar/", work.calendar, name="deadline_calendar"),
    path("priorities/", priorities_views.priorities_view, name="priorities"),
    path("documents/", document_views.draft_list, name="draft_list"),
    path("documents/<int:pk>/", document_views.draft_detail, name="draft_detail"),
    path("documents/<int:pk>/files/", document_views.draft_outputs, name="draft_outputs"),
    path("documents/files/<int:pk>.<str:fmt>", document_views.output_file, name="output_file"),
    path("rankings/", ranking_views.ranking_list, name="ranking_list"),
    path("rankings/<slug:code>/<int:year>/", ranking_views.ranking_detail, name="ranking_detail"),
    path("rankings/<slug:code>/<int:year>/annex/", ranking_views.annex, name="ranking_annex"),
    path(
        "rankings/<slug:code>/<int:year>/<str:unit_code>/",
        ranking_views.ranking_unit,
        name="ranking_unit",
    ),
]

urlpatterns = [
    path("", programme_views.home, name="home"),
    path("health/", core_views.health, name="health"),
    path("assets/vega-<str:version>.js", core_views.vega_bundle, name="vega_bundle"),
    path("accounts/login/", account_views.SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        account_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin_site.urls),
    path("api/v1/", steer_api.urls()),
    path("account/tokens/", api_views.token_list, name="api_tokens"),
    path("notifications/", notification_views.notifications, name="notifications"),
    path("units/", unit_views.unit_list, name="unit_list"),
    path("units/<str:code>/", unit_views.unit_detail, name="unit_detail"),
    path("document-templates/", document_views.template_list, name="document_templates"),
    path(
        "document-templates/<str:layout_name>/<str:style>/<int:version>/",
        document_views.template_file,
        name="document_template_file",
    ),
    path(
        "document-templates/<str:layout_name>/<str:style>/<int:version>/use/",
        document_views.template_use,
        name="document_template_use",
    ),
    path("p/<slug:slug>/", include(programme_urls)),
]

handler400 = "steer.core.views.bad_request"
handler403 = "steer.core.views.permission_denied"
handler404 = "steer.core.views.page_not_found"
handler500 = "steer.core.views.server_error"
