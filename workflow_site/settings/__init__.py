"""Settings split by run profile: ``dev`` (embedded default), ``test`` and ``production``."""
