#!/usr/bin/env python
"""Django's command-line utility for Task Force Connect."""

import os
import sys


def main():
    env = os.environ.get("DJANGO_ENV", "development")
    os.environ.setdefault(
        "DJANGO_SETTINGS_MODULE",
        "connect.settings.production" if env == "production" else "connect.settings.dev",
    )
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
