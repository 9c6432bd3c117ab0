from django.apps import AppConfig


class ComponentFrameworkConfig(AppConfig):
    name = "component_framework"
    verbose_name = "Component framework"
