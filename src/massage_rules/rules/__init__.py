"""Layer 2, rules: the compiled rule index and :func:`fire`, the one definition of which rules fire for a profile."""
