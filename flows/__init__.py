"""Prefect flows, one per file, reading like the campaign calendar."""
