from django.apps import AppConfig


class AnnotationsConfig(AppConfig):
    name = "annotations"
    verbose_name = "Annotations"

    def ready(self):
        from annotations import services
        from archive.signals import posts_rewritten

        def reanchor(sender, post_ids, previous=None, **kwargs):
            services.reanchor_posts(post_ids, previous=previous)

        posts_rewritten.connect(reanchor, weak=False, dispatch_uid="annotations.reanchor")
