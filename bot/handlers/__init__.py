"""Webhook handlers: pure functions (event payload -> Jobs). They never call GitHub; tasks do.

The task names, queues and `Job` they build come from `workers.contract`.
"""
