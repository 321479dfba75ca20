"""Create the role groups and load the roster of ECM task forces.

The roster holds only publicly known facts (names and areas). Agency email
domains and coordinators are filled in by administrators.
"""

from django.db import migrations

ROLES = ["Members", "Moderators", "Administrators"]

ROSTER = [
    ("Western District of New York Human Trafficking Task Force", "western-district-of-new-york",
     "Western District of New York", "NY", "northeast"),
    ("North Dakota Human Trafficking Task Force", "north-dakota", "State of North Dakota", "ND", "midwest"),
    ("Cook County Human Trafficking Task Force", "cook-county", "Cook County, Illinois", "IL", "midwest"),
    ("Palm Beach County Human Trafficking Task Force", "palm-beach-county",
     "Palm Beach County, Florida", "FL", "south"),
    ("Greater New Orleans Human Trafficking Task Force", "greater-new-orleans",
     "Greater New Orleans, Louisiana", "LA", "south"),
    ("Southern Nevada Human Trafficking Task Force", "southern-nevada", "Clark County, Nevada", "NV", "west"),
    ("Houston Area Human Trafficking Task Force", "houston-area", "Greater Houston, Texas", "TX", "south"),
    ("Alameda County Human Trafficking Task Force", "alameda-county", "Alameda County, California", "CA", "west"),
    ("Central Ohio Human Trafficking Task Force", "central-ohio", "Central Ohio", "OH", "midwest"),
    ("Minnesota Human Trafficking Task Force", "minnesota", "State of Minnesota", "MN", "midwest"),
    ("Washington State Human Trafficking Task Force", "washington-state", "State of Washington", "WA", "west"),
    ("Middle District of Florida Human Trafficking Task Force", "middle-district-of-florida",
     "Middle District of Florida", "FL", "south"),
]  # fmt: skip


def forwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    TaskForce = apps.get_model("connect", "TaskForce")
    for name in ROLES:
        Group.objects.get_or_create(name=name)
    for name, slug, jurisdiction, state, region in ROSTER:
        TaskForce.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "jurisdiction": jurisdiction, "state": state, "region": region},
        )


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [("connect", "0002_home_page_model"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(forwards, backwards)]
