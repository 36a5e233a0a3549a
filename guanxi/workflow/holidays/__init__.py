"""Bundled public holidays (cn_<year>.json), read by `guanxi.workflow.calendar_days`."""
