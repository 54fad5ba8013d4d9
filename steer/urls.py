from django.contrib.auth import views as auth_views
from django.urls import include, path

from steer.core import views as core_views
from steer.core.admin_site import site as admin_site
from steer.programmes import views as programme_views
from steer.units import views as unit_views

programme_urls = [
    path("", programme_views.overview, name="programme_overview"),
    path("tree/", programme_views.tree, name="programme_tree"),
    path("indicators/<str:code>/", programme_views.indicator_detail, name="indicator_detail"),
    path("plan-items/", programme_views.plan_item_list, name="plan_item_list"),
    path("plan-items/<str:code>/", programme_views.plan_item_detail, name="plan_item_detail"),
    path("copy/", programme_views.copy, name="programme_copy"),
]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("health/", core_views.health, name="health"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin_site.urls),
    path("units/", unit_views.unit_list, name="unit_list"),
    path("units/<str:code>/", unit_views.unit_detail, name="unit_detail"),
    path("p/<slug:slug>/", include(programme_urls)),
]

handler403 = "steer.core.views.permission_denied"
handler404 = "steer.core.views.page_not_found"
handler500 = "steer.core.views.server_error"
