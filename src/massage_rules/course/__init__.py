"""Layer 4, course: per-client history files, progress reviews and charts."""
