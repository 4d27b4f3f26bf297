"""Process analytics from our own history: variants, conformance, rework, waiting and working
time, handovers, anomalies, and the event log as XES and OCEL 2.0.

``mining`` and ``exports`` are pure; ``selectors`` reads the cases from the database."""
