"""Layer 4, authoring: tools for knowledge authors (check a pack, verify a base over the profile space)."""
