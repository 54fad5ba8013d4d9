from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "steer.demo"
    verbose_name = "Demo"
