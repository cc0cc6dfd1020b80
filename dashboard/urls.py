from django.urls import path

from . import views

# No app_name: the home page keeps its route name "home" (LOGIN_REDIRECT_URL, {% url 'home' %}).
urlpatterns = [
    path("", views.home, name="home"),
    path("on-track/", views.on_track, name="on_track"),
]
