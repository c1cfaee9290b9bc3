"""close-sequences extension layer (placeholder until the public names land)."""
