"""The pure process engine: compiled graphs, markings and ``fire``. No Django imports here."""
