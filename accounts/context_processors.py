from django.conf import settings


def accounts(request):
    return {"signup_open": settings.PIZHU_SIGNUP_OPEN}
