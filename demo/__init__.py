"""Real open data loaded by `manage.py load_demo`: territories and historical entries."""
