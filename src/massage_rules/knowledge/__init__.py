"""Layer 1, knowledge: read, validate and cross-check the YAML knowledge files into a :class:`KnowledgeBase`.

Imports nothing above it. In a wheel, the bundled ``*.yaml`` files sit in this folder.
"""
