"""Audit the sign-in life cycle and keep role permissions in sync."""

import time

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import transaction
from django.db.models.signals import m2m_changed, post_migrate, post_save, pre_save
from django.dispatch import receiver

from .audit import audit_record
from .live import access_changed


@receiver(user_logged_in)
def on_logged_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session["connect_started"] = now
        request.session["connect_last_seen"] = now
    audit_record(action="login.succeeded", request=request, actor=user, target=user)


@receiver(user_logged_out)
def on_logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(action="logout", request=request, actor=user, target=user)
        access_changed(user.pk)


@receiver(account_signals.password_changed)
@receiver(account_signals.password_reset)
def on_password_changed(sender, request, user, **kwargs):
    """A new password ends every other session of the member: whoever knew
    the old one is signed out everywhere."""
    from .services import sessions_end_all

    keep = getattr(getattr(request, "session", None), "session_key", None)
    ended = sessions_end_all(user=user, keep_session_key=keep)
    audit_record(
        action="password.changed", request=request, actor=user, target=user, detail={"sessions_ended": ended}
    )


@receiver(mfa_signals.authenticator_added)
def on_mfa_added(sender, request, user, authenticator, **kwargs):
    audit_record(
        action="mfa.added", request=request, actor=user, target=user, detail={"type": authenticator.type}
    )


@receiver(mfa_signals.authenticator_removed)
def on_mfa_removed(sender, request, user, authenticator, **kwargs):
    audit_record(
        action="mfa.removed", request=request, actor=user, target=user, detail={"type": authenticator.type}
    )


@receiver(mfa_signals.authentication_failed)
def on_mfa_failed(sender, request, user, authenticator, reauthentication=False, **kwargs):
    """A wrong second-factor code: the password was right, so this is worth a look."""
    audit_record(
        action="mfa.failed",
        request=request,
        actor=user,
        target=user,
        outcome="failure",
        detail={"type": authenticator.type, "reauthentication": bool(reauthentication)},
    )


@receiver(mfa_signals.authenticator_reset)
def on_mfa_reset(sender, request, user, authenticator, **kwargs):
    # allauth resets only recovery codes: a new set replaces the old one.
    action = "mfa.recovery_codes_generated" if authenticator.type == "recovery_codes" else "mfa.reset"
    audit_record(action=action, request=request, actor=user, target=user, detail={"type": authenticator.type})


@receiver(pre_save, sender=settings.AUTH_USER_MODEL)
def on_user_deactivated(sender, instance, update_fields=None, **kwargs):
    """However an account is deactivated (the members screen, a shell, a
    future admin form), its sessions end with it."""
    if instance.pk is None or instance.is_active or getattr(instance, "_sessions_ended_by_service", False):
        return
    if update_fields is not None and "is_active" not in update_fields:
        return
    was_active = sender._default_manager.filter(pk=instance.pk, is_active=True).exists()
    if was_active:
        from .services import sessions_end_all

        transaction.on_commit(lambda: sessions_end_all(user=instance))
        access_changed(instance.pk)


# A live socket must not outlive the access it was opened with: whatever
# changes what a member may see (their profile's discipline, their role, their
# account) tells their open sockets to check again now, not at the next re-check.
@receiver(post_save, sender="connect.MemberProfile")
def on_profile_saved(sender, instance, created=False, raw=False, **kwargs):
    if not created and not raw:
        access_changed(instance.user_id)


def on_groups_changed(sender, instance, action, reverse=False, pk_set=None, **kwargs):
    """A role given or taken away (roles are groups)."""
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if reverse:
        for pk in pk_set or ():
            access_changed(pk)
    else:
        access_changed(instance.pk)


m2m_changed.connect(
    on_groups_changed, sender=get_user_model().groups.through, dispatch_uid="connect.live_groups"
)


@receiver(post_migrate)
def on_post_migrate(sender, app_config=None, **kwargs):
    # Run once, after the last app has migrated, so every app's permissions exist.
    from django.apps import apps

    with_models = [config for config in apps.get_app_configs() if config.models_module]
    if app_config is None or app_config.label != with_models[-1].label:
        return
    from .roles import sync_role_permissions

    sync_role_permissions()
