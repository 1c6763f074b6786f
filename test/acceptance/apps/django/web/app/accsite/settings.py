"""Settings of the acceptance Django app: everything environment-specific comes from the environment."""
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = os.environ['DJANGO_SECRET_KEY']
DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get('ALLOWED_HOSTS', '').split(',') if h]
INSTALLED_APPS = ['django.contrib.contenttypes', 'greetings']
MIDDLEWARE = ['django.middleware.common.CommonMiddleware']
ROOT_URLCONF = 'accsite.urls'
WSGI_APPLICATION = 'accsite.wsgi.application'
USE_TZ = True
# The image carries no translations (stage_debian.py --skip /LC_MESSAGES/): English only.
USE_I18N = False
DEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'

_db = urlsplit(os.environ['DATABASE_URL'])
DATABASES = {
    'default': {
        'ENGINE': 'django.db.backends.postgresql',
        'NAME': _db.path.lstrip('/'),
        'USER': unquote(_db.username or ''),
        'PASSWORD': unquote(_db.password or ''),
        'HOST': _db.hostname,
        'PORT': _db.port or 5432,
        'CONN_MAX_AGE': 0,
    }
}
LOGGING = {
    'version': 1,
    'disable_existing_loggers': False,
    'handlers': {'console': {'class': 'logging.StreamHandler'}},
    'root': {'handlers': ['console'], 'level': 'INFO'},
}
