"""Public official reference data every service may read (not any service's state)."""
