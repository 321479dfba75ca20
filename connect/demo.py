"""Fictional demo data for the membership domain. Every person here is made up."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group

from .models import Discipline, MemberProfile, Role, TaskForce, User

DEMO_PASSWORD = "connect-demo-2026"  # noqa: S105 - fictional demo accounts only
# One shared, printed TOTP secret so anyone can try the demo with an
# authenticator app (or `manage.py demo_totp`); never used outside demo data.
DEMO_TOTP_SECRET = "DEMODEMODEMODEMODEMODEMODEMODEMO"  # noqa: S105

TASK_FORCE_DETAILS = {
    "western-district-of-new-york": (
        "A partnership of federal, state and local law enforcement, prosecutors and "
        "victim-service agencies across the western counties of New York.",
        "wdny.demo.example",
    ),
    "north-dakota": (
        "A statewide task force whose regional navigators connect survivors in rural "
        "counties with services close to home.",
        "nd.demo.example",
    ),
    "cook-county": (
        "Law enforcement and service providers in Cook County working labor and sex "
        "trafficking cases together from first contact to trial.",
        "cook.demo.example",
    ),
    "palm-beach-county": (
        "A county task force known for its multidisciplinary case reviews and outreach "
        "to agricultural workers.",
        "pbc.demo.example",
    ),
    "greater-new-orleans": (
        "Partners across the New Orleans metro area, with a strong focus on "
        "trauma-informed interviews and survivor housing.",
        "gno.demo.example",
    ),
}

PEOPLE = [
    # email local part, first, last, task force slug, discipline, title, role
    ("admin", "Avery", "Quill", "western-district-of-new-york", Discipline.COORDINATION,
     "Program administrator", Role.ADMINISTRATOR),
    ("moderator", "Morgan", "Reyes-Lind", "cook-county", Discipline.COORDINATION,
     "Task-force coordinator", Role.MODERATOR),
    ("officer", "Dana", "Whitfield", "north-dakota", Discipline.LAW_ENFORCEMENT,
     "Detective, special victims unit", Role.MEMBER),
    ("prosecutor", "Jordan", "Okafor-Bell", "palm-beach-county", Discipline.PROSECUTION,
     "Assistant state attorney", Role.MEMBER),
    ("advocate", "Riley", "Santangelo", "greater-new-orleans", Discipline.VICTIM_SERVICES,
     "Lead victim advocate", Role.MEMBER),
    ("coordinator", "Casey", "Lindqvist", "western-district-of-new-york", Discipline.COORDINATION,
     "Task-force coordinator", Role.MEMBER),
    ("analyst", "Sam", "Delacroix-Ito", "cook-county", Discipline.OTHER,
     "Crime analyst", Role.MEMBER),
]  # fmt: skip

EXPERTISE = {
    "officer": ["labor trafficking", "rural investigations"],
    "prosecutor": ["trial practice", "financial investigations"],
    "advocate": ["trauma-informed interviewing", "survivor housing"],
    "coordinator": ["protocol development", "data collection"],
    "analyst": ["data collection", "online exploitation"],
}


def demo_email(local, slug):
    domain = TASK_FORCE_DETAILS[slug][1]
    return f"{local}@{domain}"


def seed_membership(stdout):
    for slug, (description, domain) in TASK_FORCE_DETAILS.items():
        TaskForce.objects.filter(slug=slug).update(
            description=description,
            email_domains=domain,
            coordinator_name="Demo coordinator",
            coordinator_email=f"coordinator@{domain}",
        )
    accounts = []
    for local, first, last, slug, discipline, title, role in PEOPLE:
        email = demo_email(local, slug)
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email, password=DEMO_PASSWORD, first_name=first, last_name=last
            )
        user.is_staff = role == Role.ADMINISTRATOR
        user.save(update_fields=["is_staff"])
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        user.groups.add(Group.objects.get(name=role))
        profile, _ = MemberProfile.objects.get_or_create(
            user=user,
            defaults={
                "display_name": f"{first} {last}",
                "task_force": TaskForce.objects.get(slug=slug),
                "discipline": discipline,
                "title": title,
                "agency": f"{TaskForce.objects.get(slug=slug).jurisdiction} (demo agency)",
                "languages": "English",
                "bio": "A fictional member created for the demo.",
            },
        )
        if local in EXPERTISE and not profile.expertise.exists():
            profile.expertise.add(*EXPERTISE[local])
            profile.save()
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, DEMO_TOTP_SECRET)
        accounts.append((email, role))
    return accounts
