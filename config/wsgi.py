import os

from django.core.wsgi import get_wsgi_application

from config.serving import refuse_insecure_start

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
refuse_insecure_start()  # before building the app: an insecure server never starts
application = get_wsgi_application()
