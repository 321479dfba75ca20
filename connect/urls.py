from django.contrib import admin
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from connect import views as connect_views

# Only allauth signs anyone in or changes a password (MFA, lockout, rate
# limits, audit). The Django admin's own login and password-change views are
# replaced by redirects, never wrapped: a wrapped LoginView still accepts a
# POST from someone already signed in. See docs/deployment.md, "Which views
# authenticate".
admin.site.login = connect_views.signin_elsewhere
admin.site.password_change = connect_views.password_change_elsewhere
admin.site.password_change_done = connect_views.password_change_elsewhere
admin.site.site_header = "Task Force Connect administration"

urlpatterns = [
    # allauth's recovery-code pages under their own names, audited each time
    # the codes are shown (see connect.views).
    path(
        "accounts/2fa/recovery-codes/",
        connect_views.mfa_view_recovery_codes,
        name="mfa_view_recovery_codes",
    ),
    path(
        "accounts/2fa/recovery-codes/download/",
        connect_views.mfa_download_recovery_codes,
        name="mfa_download_recovery_codes",
    ),
    path("accounts/", include("allauth.urls")),
    path("", include("connect.urls_members")),
    path("", include("notifications.urls")),
    path("discussions/", include("forum.urls")),
    path("messages/", include("conversations.urls")),
    path("library/", include("resources.urls")),
    path("assistance/", include("assistance.urls")),
    path("search/", include("search.urls")),
    # Wagtail's admin login, logout, password reset and account pages, and its
    # front-end login and page-password views, answer first with a redirect to
    # allauth (or a 404); the names stay so Wagtail's own links still resolve.
    path("admin/login/", connect_views.signin_elsewhere, name="wagtailadmin_login"),
    path("admin/logout/", connect_views.signout_elsewhere, name="wagtailadmin_logout"),
    path("admin/account/", connect_views.account_elsewhere, name="wagtailadmin_account"),
    re_path(r"^admin/password_reset/", connect_views.password_reset_elsewhere),
    path("_util/login/", connect_views.signin_elsewhere, name="wagtailcore_login"),
    re_path(r"^_util/authenticate_with_password/", connect_views.page_password_disabled),
    path("admin/", include(wagtailadmin_urls)),
    path("django-admin/", admin.site.urls),
    re_path(r"^documents/authenticate_with_password/", connect_views.page_password_disabled),
    path("documents/", include(wagtaildocs_urls)),
    # Wagtail serves the page tree (home, spotlights, library, events) last,
    # through connect's view of it (its site lookup cached), under its own name.
    re_path(wagtail_urls.serve_pattern, connect_views.page_serve, name="wagtail_serve"),
    path("", include(wagtail_urls)),
]

handler404 = "connect.errors.not_found"
handler500 = "connect.errors.server_error"
