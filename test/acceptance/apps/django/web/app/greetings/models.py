from django.db import models


class Greeting(models.Model):
    name = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
