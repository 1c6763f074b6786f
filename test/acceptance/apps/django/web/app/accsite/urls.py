from django.urls import path

from greetings import views

urlpatterns = [
    path('', views.index),
    path('healthz', views.healthz),
    path('greetings', views.greetings),
]
