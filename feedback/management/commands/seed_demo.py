"""Fill an empty registry with demo content; running it again changes nothing."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from feedback import demo
from feedback.models import Case, Institution, Service
from feedback.workspace import dashboards
from pages.demo import seed_pages


class Command(BaseCommand):
    help = (
        "Create demo institutions, services, pages in English and Swahili, and one user per role."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--i-know-this-is-not-production",
            action="store_true",
            dest="not_production",
            help="Seed even though DEBUG is off (a staging copy, a demonstration server).",
        )

    def handle(self, *args, **options):
        # The demo users, a superuser among them, share a password printed in the source code:
        # on a real registry they would be a door anyone can open.
        if not settings.DEBUG and not options["not_production"]:
            raise CommandError(
                "DEBUG is off, so this looks like production: seed_demo creates a superuser "
                "whose password is public. If this server is a demonstration, run it again "
                "with --i-know-this-is-not-production."
            )
        demo.seed_institutions()
        demo.seed_services()
        credentials = demo.seed_users()
        api_client, api_key, api_client_created = demo.seed_api_client()
        pages = seed_pages()
        added = demo.seed_cases()
        workspace = demo.seed_workspace()
        self.stdout.write(
            f"Demo ready: {Institution.objects.count()} institutions, "
            f"{Service.objects.count()} services, "
            f"{pages['en']} English and {pages['sw']} Swahili pages, "
            f"{Case.objects.count()} cases ({added} new)."
        )
        self.stdout.write("Demo users (log in at http://127.0.0.1:8000/admin/):")
        for username, password, role in credentials:
            self.stdout.write(f"  {username:<10} {password}   {role}")
        self._report_api_client(api_client, api_key, api_client_created)
        self._report_workspace(workspace)

    def _report_api_client(self, client, key, created):
        # The key is printed here and nowhere else: the registry keeps only its digest.
        self.stdout.write(
            f"Demo API client: {client.name} ({client.organisation}), "
            f"{client.requests_per_minute} requests per minute; its key "
            "(send it as 'Authorization: Api-Key <key>', or Open311's api_key):"
        )
        note = (
            "new client"
            if created
            else "a fresh key for the existing client: the key printed before no longer works"
        )
        self.stdout.write(f"  {key}   ({note})")

    def _report_workspace(self, workspace):
        point = workspace["service_point"]
        self.stdout.write(
            f"Service point: {point.name} (code {point.code}), "
            f"agent: {', '.join(p.user.username for p in point.agents.select_related('user'))}; "
            f"{workspace['canned_responses']} canned responses and "
            f"{workspace['cases']} workspace cases new."
        )
        self.stdout.write("Work waiting on each dashboard:")
        now = timezone.now()
        users = get_user_model().objects.in_bulk(demo.DASHBOARD_USERS, field_name="username")
        for user in (users[name] for name in demo.DASHBOARD_USERS if name in users):
            numbers = ", ".join(
                f"{label} {n}" for label, n in dashboards.numbers(user, now).items()
            )
            self.stdout.write(f"  {user.username:<10} {numbers}")
