"""The automation engine listens to every domain event (cheap when no rule cares)."""

from guanxi.core import events
from guanxi.workflow import automation_engine, timer_services

events.subscribe("*", automation_engine.event_received)
timer_services.register_timer_handler(
    automation_engine.STILL_MATCHING_HANDLER, automation_engine.still_matching_fired
)
