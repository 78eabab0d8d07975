"""Screens: FAB views generated from the spec, plus the portal's own pages."""
