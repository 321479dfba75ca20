from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from connect import views as connect_views

# The Django admin signs in through allauth too: no way around MFA or lockout.
admin.site.login = secure_admin_login(admin.site.login)
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
    path("library/", include("resources.urls")),
    path("search/", include("search.urls")),
    path("admin/", include(wagtailadmin_urls)),
    path("django-admin/", admin.site.urls),
    path("documents/", include(wagtaildocs_urls)),
    # Wagtail serves the page tree (home, spotlights, library, events) last.
    path("", include(wagtail_urls)),
]

handler404 = "connect.errors.not_found"
handler500 = "connect.errors.server_error"
