from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PagesConfig(AppConfig):
    name = "pages"
    verbose_name = _("Pages")

    def ready(self):
        # Issue 20: publishing, moving or deleting a page (and outcome or service changes)
        # clears the shared page cache.
        from config.page_cache import connect_invalidation

        connect_invalidation()
