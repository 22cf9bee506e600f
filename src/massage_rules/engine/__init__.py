"""Layer 3, engine: resolve a profile, screen, rank, plan and explain, from the rules that fire."""
