from django.apps import AppConfig


class AnnotationsConfig(AppConfig):
    name = "annotations"
    verbose_name = "Annotations"

    def ready(self):
        from annotations import services
        from archive.signals import FollowerFailed, posts_rewritten

        def reanchor(sender, post_ids, previous=None, **kwargs):
            try:
                return services.reanchor_posts(post_ids, previous=previous)
            except Exception as exc:  # whatever broke, the import names the file and goes on
                raise FollowerFailed("re-anchoring annotations", exc) from exc

        posts_rewritten.connect(reanchor, weak=False, dispatch_uid="annotations.reanchor")
