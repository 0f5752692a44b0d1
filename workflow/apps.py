from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    name = "workflow"
    verbose_name = _("Measures and results")

    def ready(self):
        from django.db.backends.signals import connection_created

        from workflow.search import register_sqlite_function

        connection_created.connect(register_sqlite_function, dispatch_uid="itaflow_search_key")
