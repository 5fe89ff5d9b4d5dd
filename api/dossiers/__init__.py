"""Dossier status lookup: adapter to the one-stop system, second-factor check, brute-force limits, masking."""
from api.dossiers.service import DossierLookupService, LookupResult, build_lookup_service

__all__ = ["DossierLookupService", "LookupResult", "build_lookup_service"]
