from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Organisations and users")
    # This module also defines RoleAdminConfig; this one is the app's own.
    default = True

    def ready(self):
        from accounts import signals  # noqa: F401  (connects the audit receivers)


class RoleAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with a site that admits only superusers and role admins."""

    default = False
    default_site = "accounts.admin_site.RoleAdminSite"
