"""Role permissions, kept in sync after every migrate.

The groups themselves are created by a migration. Their permissions are
assigned here, after all apps have migrated, because the permissions of the
apps above `connect` only exist then. Those apps add theirs through the
`register_role_permissions` Wagtail hook, returning
``{"Moderators": ["forum.moderate_post", ...]}``.
"""

from django.contrib.auth.models import Group, Permission
from wagtail import hooks

from .models import Role

BASE_PERMISSIONS = {
    Role.MEMBER: [],
    Role.MODERATOR: [
        "wagtailadmin.access_admin",
        "connect.view_membershiprequest",
        "connect.view_taskforce",
        "wagtaildocs.add_document",
        "wagtaildocs.change_document",
        "wagtaildocs.choose_document",
        "wagtailimages.add_image",
        "wagtailimages.change_image",
        "wagtailimages.choose_image",
    ],
    Role.ADMINISTRATOR: [
        "wagtailadmin.access_admin",
        "connect.view_membershiprequest",
        "connect.view_auditevent",
        "connect.add_taskforce",
        "connect.change_taskforce",
        "connect.view_taskforce",
        # Not change_user: Wagtail's user editor would change groups without
        # an audit event. Roles change in "Members & roles" (connect.admin_views).
        "connect.view_user",
        "wagtaildocs.add_document",
        "wagtaildocs.change_document",
        "wagtaildocs.delete_document",
        "wagtaildocs.choose_document",
        "wagtailimages.add_image",
        "wagtailimages.change_image",
        "wagtailimages.delete_image",
        "wagtailimages.choose_image",
    ],
}
# Page permissions moderators and administrators hold over the whole site tree.
PAGE_PERMISSIONS = ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"]
COLLECTION_PERMISSIONS = {
    "wagtaildocs": ["add_document", "change_document", "choose_document"],
    "wagtailimages": ["add_image", "change_image", "choose_image"],
}


def role_permissions():
    wanted = {role.value: set(perms) for role, perms in BASE_PERMISSIONS.items()}
    for hook in hooks.get_hooks("register_role_permissions"):
        for role, perms in hook().items():
            wanted.setdefault(str(role), set()).update(perms)
    return wanted


def _permission(label):
    app_label, codename = label.split(".", 1)
    return Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()


def sync_role_permissions():
    """Give every role group exactly the permissions it is declared to have."""
    from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page

    for role_name, labels in role_permissions().items():
        group, _ = Group.objects.get_or_create(name=role_name)
        perms = [p for p in (_permission(label) for label in sorted(labels)) if p is not None]
        group.permissions.set(perms)
        # Groups apps add (their own staff, say) hold only what they declare:
        # the page tree and the collections are the moderators' work.
        if role_name not in (Role.MODERATOR, Role.ADMINISTRATOR):
            continue
        root = Page.get_first_root_node()
        if root is not None:
            for codename in PAGE_PERMISSIONS:
                perm = _permission(f"wagtailcore.{codename}")
                if perm:
                    GroupPagePermission.objects.get_or_create(group=group, page=root, permission=perm)
        collection = Collection.get_first_root_node()
        if collection is not None:
            for app_label, codenames in COLLECTION_PERMISSIONS.items():
                for codename in codenames:
                    perm = _permission(f"{app_label}.{codename}")
                    if perm:
                        GroupCollectionPermission.objects.get_or_create(
                            group=group, collection=collection, permission=perm
                        )
