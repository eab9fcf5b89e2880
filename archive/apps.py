from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = "Archive"

    def ready(self):
        from django.db.models.signals import post_delete

        from archive import search
        from archive.models import Post

        def forget(sender, instance, **kwargs):
            search.remove_posts([instance.pk])

        # weak=False: the receiver is a local function, nothing else keeps it alive.
        post_delete.connect(forget, sender=Post, weak=False, dispatch_uid="archive.search.forget")
