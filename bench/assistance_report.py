"""Benchmark: the TTA program report and the staff queue against the bare fetch of the same rows.

1. Fills a fresh SQLite database under ``var/bench/assistance/`` with bulk
   inserts (scale 1: 40 task forces, 10,000 requests in every status with
   deliveries, attendees and feedback, 2,000 peer exchange visits).
2. In one process, alternating, times: the report (``program_report``: every
   group and median), its CSV rows, the staff queue's first page
   (``request_queue``), and the baseline — fetching the report's rows as plain
   values and doing nothing with them. Prints the median of each and the ratio
   to the baseline.

    .venv/bin/python bench/assistance_report.py --scale 0.1 --rounds 7

The goal: the report costs at most 5 times the bare fetch of its rows (it is
computed in one pass over them), and the queue's first page costs less than
that fetch (it reads one page, plus counts).
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VAR = ROOT / "var" / "bench" / "assistance"
os.environ.setdefault("CONNECT_VAR_DIR", str(VAR))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"


def setup_django():
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def fill(scale, seed=11):
    from django.utils import timezone

    from assistance.models import (
        AssistanceRequest,
        ExchangeVisit,
        Feedback,
        PartnerOrganization,
        ProgramRole,
        Status,
        VisitStatus,
    )
    from connect.models import MemberProfile, TaskForce, User
    from resources.models import Topic

    rng = random.Random(seed)
    n_tf = max(4, int(40 * scale))
    n_requests = max(100, int(10_000 * scale))
    task_forces = TaskForce.objects.bulk_create(
        [
            TaskForce(name=f"Bench County {i} Task Force", slug=f"bench-{i}", jurisdiction=f"Bench {i}",
                      state=rng.choice(["OH", "NY", "TX", "CA", "IL"]), region="midwest")
            for i in range(n_tf)
        ]
    )  # fmt: skip
    topics = [
        Topic.objects.get_or_create(name=f"Bench topic {i}", slug=f"bench-topic-{i}")[0] for i in range(8)
    ]
    partners = [PartnerOrganization.objects.create(name=f"Bench partner {i}") for i in range(3)]
    staff = User.objects.create_user(email="staff@bench.example", password="x")  # noqa: S106
    MemberProfile.objects.create(
        user=staff,
        display_name="Bench staff",
        task_force=task_forces[0],
        discipline="coordination",
        agency="x",
    )
    ProgramRole.objects.create(user=staff, kind="staff", partner=partners[0])
    now = timezone.now()
    statuses = list(Status.values)
    kinds = ["training", "technical_assistance", "resource", "peer_exchange"]
    rows = []
    for i in range(n_requests):
        created = now - datetime.timedelta(days=rng.randint(1, 720), minutes=i)
        status = rng.choice(statuses)
        delivered = status in ("delivered", "closed")
        rows.append(
            AssistanceRequest(
                task_force=rng.choice(task_forces),
                requester=staff,
                kind=rng.choice(kinds),
                topic=rng.choice(topics),
                description="Bench request.",
                status=status,
                urgency=rng.randint(1, 4),
                partner=rng.choice(partners) if status not in ("received", "triaged") else None,
                created_at=created,
                triaged_at=created + datetime.timedelta(days=rng.randint(0, 14))
                if status != "received"
                else None,
                delivered_at=created + datetime.timedelta(days=rng.randint(15, 120)) if delivered else None,
                delivered_on=(created + datetime.timedelta(days=rng.randint(15, 120))).date()
                if delivered
                else None,
                attendees={"law_enforcement": rng.randint(0, 30), "victim_services": rng.randint(0, 20)}
                if delivered
                else {},
            )
        )
    requests = AssistanceRequest.objects.bulk_create(rows, batch_size=1000)
    Feedback.objects.bulk_create(
        [Feedback(request=r, author=staff, useful=rng.randint(1, 5)) for r in requests if r.delivered_on][
            ::2
        ],
        batch_size=1000,
    )
    peer = [r for r in requests if r.kind == "peer_exchange"][: max(20, int(2000 * scale))]
    ExchangeVisit.objects.bulk_create(
        [
            ExchangeVisit(
                request=r,
                host=next(tf for tf in task_forces if tf.pk != r.task_force_id),
                focus="Bench",
                status=rng.choice(list(VisitStatus.values)),
                ends_on=(now - datetime.timedelta(days=rng.randint(1, 700))).date(),
            )
            for r in peer
        ],
        batch_size=1000,
    )
    return staff, n_requests


def timed(fn, rounds):
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    shutil.rmtree(VAR, ignore_errors=True)
    VAR.mkdir(parents=True, exist_ok=True)
    setup_django()
    from django.http import QueryDict

    from assistance import selectors
    from assistance.models import AssistanceRequest

    staff, n = fill(args.scale)
    # The selectors ask permissions about a member; the bench staff is one by fiat.
    staff._membership_state = "active"

    def baseline():
        list(
            AssistanceRequest.objects.values(
                "kind", "status", "created_at", "triaged_at", "delivered_at", "delivered_on", "attendees",
                "task_force__name", "task_force__state", "topic__name", "partner__name", "feedback__useful",
            )
        )  # fmt: skip

    def report():
        selectors.program_report(params={})

    def export():
        list(selectors.export_rows(selectors.program_report(params={})))

    def queue():
        ctx = selectors.request_queue(user=staff, params=QueryDict(""))
        list(ctx["requests"])

    results = {name: [] for name in ("baseline", "report", "export", "queue")}
    for _ in range(3):  # alternate so other load on the machine falls on all alike
        results["baseline"].append(timed(baseline, args.rounds))
        results["report"].append(timed(report, args.rounds))
        results["export"].append(timed(export, args.rounds))
        results["queue"].append(timed(queue, args.rounds))
    base = statistics.median(results["baseline"])
    print(f"requests: {n}")
    for name, values in results.items():
        median = statistics.median(values)
        print(f"{name:9s} median {median:8.1f} ms   x{median / base:5.2f} of the bare fetch")


if __name__ == "__main__":
    main()
