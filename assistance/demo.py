"""Fictional demo data for the TTA program: partners, roles, requests in every
state and peer exchange visits in every state. Every organisation and person is made up."""

import datetime

from django.utils import timezone

from connect.actors import Actor
from connect.models import Discipline, TaskForce, User

from . import conf, services
from .models import (
    AssistanceRequest,
    ExchangeVisit,
    Format,
    Kind,
    PartnerOrganization,
    Priority,
    ProgramRole,
    Urgency,
)

PARTNERS = [
    ("Northfield Institute for Task Force Training (demo)", "https://training.demo.example"),
    ("Harborline Survivor Services Academy (demo)", "https://academy.demo.example"),
]

DESCRIPTIONS = {
    Kind.TRAINING: "Our new patrol officers need a half-day introduction to recognising labor trafficking "
    "at traffic stops and in agricultural settings.",
    Kind.TECHNICAL_ASSISTANCE: "We are drafting a memorandum of understanding between the prosecutor's "
    "office and two service providers and would like a review of the information-sharing section.",
    Kind.RESOURCE: "A template protocol for multidisciplinary case review meetings, with a sample agenda.",
    Kind.PEER_EXCHANGE: "We want to see how another task force runs co-located operations with victim "
    "services in the same building.",
}


DEMO_PREFIX = "demo-"  # noqa: S105 - marks demo requests, not a secret


# A partner's trainer who is TTA staff and neither moderator nor
# administrator: what the program's own staff see of the admin.
TRAINER = ("trainer", "Rowan", "Ashgrove", "western-district-of-new-york")


def _trainer():
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP
    from django.contrib.auth.models import Group

    from connect.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, demo_email
    from connect.models import MemberProfile, Role

    local, first, last, slug = TRAINER
    task_force = TaskForce.objects.filter(slug=slug).first()
    if task_force is None:
        return None
    email = demo_email(local, slug)
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=DEMO_PASSWORD, first_name=first, last_name=last)
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    user.groups.add(Group.objects.get(name=Role.MEMBER))
    MemberProfile.objects.get_or_create(
        user=user,
        defaults={
            "display_name": f"{first} {last}",
            "task_force": task_force,
            "discipline": Discipline.COORDINATION,
            "title": "Trainer, TTA partner (demo)",
            "agency": PARTNERS[0][0],
            "languages": "English",
            "bio": "A fictional trainer created for the demo.",
        },
    )
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_TOTP_SECRET)
    return user


def _days_ago(n):
    return timezone.now() - datetime.timedelta(days=n)


def seed_assistance_demo(stdout):
    if AssistanceRequest.objects.filter(submission_token__startswith=DEMO_PREFIX).exists():
        return
    task_forces = {tf.slug: tf for tf in TaskForce.objects.all()}
    users = {u.email.split("@")[0]: u for u in User.objects.filter(email__endswith=".demo.example")}
    admin = users.get("admin")
    if admin is None or len(task_forces) < 3:
        return
    trainer = _trainer()
    if trainer is not None:
        users["trainer"] = trainer
    system = Actor.system(user=admin, via="command")
    partners = [
        PartnerOrganization.objects.get_or_create(name=name, defaults={"website": url})[0]
        for name, url in PARTNERS
    ]
    roles = [
        ("admin", ProgramRole.Kind.STAFF, None, partners[0]),
        ("trainer", ProgramRole.Kind.STAFF, None, partners[0]),
        ("moderator", ProgramRole.Kind.STAFF, None, partners[1]),
        ("coordinator", ProgramRole.Kind.COORDINATOR, "western-district-of-new-york", None),
        ("moderator", ProgramRole.Kind.COORDINATOR, "cook-county", None),
        ("officer", ProgramRole.Kind.COORDINATOR, "north-dakota", None),
    ]
    for local, kind, slug, partner in roles:
        user = users.get(local)
        if user is None or ProgramRole.objects.filter(user=user, kind=kind).exists():
            continue
        services.role_grant(
            actor=system, user=user, kind=kind, task_force=task_forces.get(slug), partner=partner
        )
    for user in users.values():
        from .permissions import forget_program_roles

        forget_program_roles(user)

    topic_model = conf.topic_model()
    topics = list(topic_model.objects.order_by("name")) if topic_model else []
    requesters = [users.get("coordinator"), users.get("moderator"), users.get("officer")]
    requesters = [u for u in requesters if u is not None]
    staff = {partners[0].pk: admin, partners[1].pk: users.get("moderator") or admin}
    counter = iter(range(1, 1000))

    def submit(kind, requester, age):
        n = next(counter)
        request = services.request_submit(
            actor=Actor.system(user=requester, via="command"),
            kind=kind,
            topic=topics[n % len(topics)] if topics else None,
            audiences=[Discipline.LAW_ENFORCEMENT, Discipline.VICTIM_SERVICES],
            preferred_format=Format.EITHER,
            urgency=[Urgency.NORMAL, Urgency.HIGH, Urgency.URGENT, Urgency.LOW][n % 4],
            description=DESCRIPTIONS[kind],
            submission_token=f"{DEMO_PREFIX}{n}",
        )
        AssistanceRequest.objects.filter(pk=request.pk).update(created_at=_days_ago(age))
        return request

    def advance(request, to, partner):
        steps = ["triaged", "assigned", "scheduled", "delivered", "closed"]
        for step in steps[: steps.index(to) + 1]:
            if step == "triaged":
                services.request_triage(actor=system, request=request, priority=Priority.HIGH)
            elif step == "assigned":
                services.request_assign(
                    actor=system, request=request, partner=partner, assignee=staff[partner.pk]
                )
            elif step == "scheduled":
                services.request_schedule(
                    actor=system,
                    request=request,
                    scheduled_on=timezone.localdate() - datetime.timedelta(days=10),
                )
            elif step == "delivered":
                services.request_deliver(
                    actor=system,
                    request=request,
                    delivered_on=timezone.localdate() - datetime.timedelta(days=7),
                    delivery_format=Format.ONLINE,
                    attendees={Discipline.LAW_ENFORCEMENT: 18, Discipline.VICTIM_SERVICES: 9},
                )
            elif step == "closed":
                services.request_close(actor=system, request=request)
        return request

    made = 0
    for i, kind in enumerate([Kind.TRAINING, Kind.TECHNICAL_ASSISTANCE, Kind.RESOURCE]):
        for j, state in enumerate(
            ["received", "triaged", "assigned", "scheduled", "delivered", "closed", "declined"]
        ):
            requester = requesters[(i + j) % len(requesters)]
            request = submit(kind, requester, age=5 + 9 * j + i)
            partner = partners[(i + j) % 2]
            if state == "declined":
                services.request_decline(
                    actor=system,
                    request=request,
                    reason="This is outside what the program can offer this year.",
                )
            elif state != "received":
                advance(request, state, partner)
            if state in ("delivered", "closed") and j % 2 == 0:
                services.request_feedback_submit(
                    actor=Actor.system(user=requester, via="command"),
                    request=request,
                    useful=4 + (i % 2),
                    what_next="A follow-up session for supervisors.",
                )
            made += 1

    # Peer exchange visits, one in each state.
    today = timezone.localdate()
    for k, state in enumerate(["proposed", "accepted", "declined", "scheduled", "reporting", "closed"]):
        requester = requesters[k % len(requesters)]
        request = submit(Kind.PEER_EXCHANGE, requester, age=40 + 10 * k)
        partner = partners[k % 2]
        advance(request, "assigned", partner)
        own = requester.profile.task_force.slug
        # Hosts with a coordinator, so each side can answer and report.
        hosts = [
            s for s in ("cook-county", "western-district-of-new-york", "north-dakota") if s in task_forces
        ]
        host = task_forces[next(s for s in hosts[k % len(hosts) :] + hosts if s != own)]
        visit = services.visit_propose(
            actor=system, request=request, host=host, focus="Co-located operations with victim services"
        )
        host_speaker = ProgramRole.objects.filter(kind=ProgramRole.Kind.COORDINATOR, task_force=host).first()
        answer_as = Actor.system(user=host_speaker.user if host_speaker else admin, via="command")
        if state == "proposed":
            continue
        services.visit_respond(
            actor=answer_as,
            visit=visit,
            accept=state != "declined",
            reason="Our team is in trial all spring.",
        )
        if state in ("accepted", "declined"):
            continue
        start = (
            today + datetime.timedelta(days=30)
            if state == "scheduled"
            else today - datetime.timedelta(days=20)
        )
        services.visit_schedule(
            actor=system,
            visit=visit,
            starts_on=start,
            ends_on=start + datetime.timedelta(days=1),
            place=f"{host.jurisdiction} (demo office)",
            travellers="Task-force coordinator\nLead victim advocate",
        )
        if state == "scheduled":
            continue
        ExchangeVisit.objects.filter(pk=visit.pk).update(starts_on=start)
        reporters = [("visitor", requester)]
        if state == "closed":
            reporters.append(("host", host_speaker.user if host_speaker else None))
        for _side, user in reporters:
            if user is None:
                continue
            services.visit_report_file(
                actor=Actor.system(user=user, via="command"),
                visit=visit,
                learned="How intake is shared between investigators and advocates on the same floor.",
                will_adopt="A weekly joint intake meeting.",
                follow_up="Share the host's intake form template.",
            )
        if state == "closed" and visit.reports.count() == 2:
            services.visit_close(actor=system, visit=visit)
        made += 1
    stdout.write(f"  TTA program: {made} fictional requests and visits")
