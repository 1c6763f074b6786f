"""The acceptance app's views: / names the version and release; /healthz reads the model, so it is
healthy only once Django's migrations ran against the database."""
import os
from pathlib import Path

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .models import Greeting

VERSION = os.environ.get('APP_VERSION', 'dev')
RELEASE = (Path(__file__).resolve().parent.parent / 'release.txt').read_text().strip()


def index(request):
    return JsonResponse({'version': VERSION, 'release': RELEASE})


def healthz(request):
    try:
        n = Greeting.objects.count()
    except Exception as e:  # the answer says why it is not healthy
        return JsonResponse({'status': 'error', 'version': VERSION, 'error': str(e)}, status=503)
    return JsonResponse({'status': 'ok', 'version': VERSION, 'release': RELEASE, 'greetings': n})


@csrf_exempt
def greetings(request):
    if request.method == 'POST':
        g = Greeting.objects.create(name=request.GET.get('name', 'anonymous'))
        return JsonResponse({'id': g.id, 'version': VERSION}, status=201)
    return JsonResponse({'version': VERSION, 'names': [g.name for g in Greeting.objects.order_by('id')]})
