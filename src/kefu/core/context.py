from django.conf import settings


def kefu(request):
    return {"KEFU_COMPANY": settings.KEFU_COMPANY, "KEFU_HOTLINE": settings.KEFU_HOTLINE}
