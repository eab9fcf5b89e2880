from django.apps import AppConfig


class LibraryConfig(AppConfig):
    name = "library"
    verbose_name = "Library"

    def ready(self):
        from archive.signals import FollowerFailed, posts_rewritten
        from library import state

        def follow(sender, post_ids, previous=None, **kwargs):
            try:
                state.remap_positions(post_ids, previous=previous or {})
            except Exception as exc:  # the import names the file and goes on
                raise FollowerFailed("re-mapping reading positions", exc) from exc

        posts_rewritten.connect(follow, weak=False, dispatch_uid="library.remap_positions")
