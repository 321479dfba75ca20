"""Factories for tests. Every value is fictional."""

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group

from connect.models import Discipline, MemberProfile, MembershipRequest, Role, TaskForce, User

TEST_PASSWORD = "correct-horse-battery-42"
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


class TaskForceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaskForce
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Test County {n} Human Trafficking Task Force")
    slug = factory.Sequence(lambda n: f"test-county-{n}")
    jurisdiction = factory.Sequence(lambda n: f"Test County {n}")
    state = "OH"
    region = "midwest"
    email_domains = factory.Sequence(lambda n: f"tf{n}.test.example")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@tf.test.example")
    first_name = factory.Sequence(lambda n: f"Given{n}")
    last_name = factory.Sequence(lambda n: f"Family{n}")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MembershipRequest

    first_name = "Robin"
    last_name = factory.Sequence(lambda n: f"Applicant{n}")
    email = factory.Sequence(lambda n: f"applicant{n}@tf.test.example")
    agency = "Test County Sheriff's Office"
    task_force = factory.SubFactory(TaskForceFactory)
    discipline = Discipline.LAW_ENFORCEMENT
    title = "Detective"
    voucher_name = "Pat Supervisor"
    voucher_email = factory.Sequence(lambda n: f"supervisor{n}@tf.test.example")
    statement = "I investigate labor trafficking cases for the task force."


def make_member(
    *,
    role=Role.MEMBER,
    task_force=None,
    discipline=Discipline.LAW_ENFORCEMENT,
    mfa=True,
    verified=True,
    **user_fields,
):
    """An account in the given state; by default a fully active member."""
    user = UserFactory(**user_fields)
    EmailAddress.objects.create(user=user, email=user.email, verified=verified, primary=True)
    if role is not None:
        user.groups.add(Group.objects.get(name=role))
    if role == Role.ADMINISTRATOR:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    if mfa:
        TOTP.activate(user, TEST_TOTP_SECRET)
    MemberProfile.objects.create(
        user=user,
        display_name=f"{user.first_name} {user.last_name}",
        task_force=task_force or TaskForceFactory(),
        discipline=discipline,
        agency="Test agency",
        title="Investigator",
    )
    return user


def has_mfa(user):
    return Authenticator.objects.filter(user=user).exists()
