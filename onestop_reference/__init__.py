"""The project's reference one-stop service (national portal sharing protocol, demo dossiers)."""
