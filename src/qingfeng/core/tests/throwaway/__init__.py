"""A throwaway app for test_registry: a folder and a line in INSTALLED_APPS, nothing else."""
