"""SLAs, business calendars, escalations, dashboards, live streams, the periodic sweeper and the
audit trail."""
