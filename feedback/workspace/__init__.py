"""The staff workspace in the Wagtail admin: the inbox, the case page, dashboards, the
queues (screening, appeals, directives), the service-point desk and the auditor's tools.

Views here are thin: who may see a case is feedback.access's decision, every change goes
through feedback.workflow and its action table, figures come from feedback.reports.figures.
Each area registers its own admin hooks in its `*_hooks` module, imported by
feedback/wagtail_hooks.py.
"""
