"""Deployments: schedules and parameters of the flows, nothing else."""
