"""Thin Prefect tasks around insday's domain functions: coarse, one per stage."""
