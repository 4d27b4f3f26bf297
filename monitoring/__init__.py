"""SLAs, business calendars, escalations, dashboards, live streams and the periodic sweeper."""
