# gunicorn listens where Greenlight says: PORT always, BIND in the local image test (host networking).
import os

bind = [f"{os.environ.get('BIND', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"]
workers = 2
accesslog = '-'
