"""Fill an empty registry with demo content; running it again changes nothing."""

from django.core.management.base import BaseCommand

from feedback import demo
from feedback.models import Case, Institution, Service
from pages.demo import seed_pages


class Command(BaseCommand):
    help = (
        "Create demo institutions, services, pages in English and Swahili, and one user per role."
    )

    def handle(self, *args, **options):
        demo.seed_institutions()
        demo.seed_services()
        credentials = demo.seed_users()
        pages = seed_pages()
        added = demo.seed_cases()
        self.stdout.write(
            f"Demo ready: {Institution.objects.count()} institutions, "
            f"{Service.objects.count()} services, "
            f"{pages['en']} English and {pages['sw']} Swahili pages, "
            f"{Case.objects.count()} cases ({added} new)."
        )
        self.stdout.write("Demo users (log in at http://127.0.0.1:8000/admin/):")
        for username, password, role in credentials:
            self.stdout.write(f"  {username:<10} {password}   {role}")
