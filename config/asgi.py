import os

from django.core.asgi import get_asgi_application

from config.serving import refuse_insecure_start

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
refuse_insecure_start()  # before building the app: an insecure server never starts
application = get_asgi_application()
