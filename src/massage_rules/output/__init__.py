"""Layer 4, output: a result as text, a client handout, FHIR, CDS Hooks cards, and the JSON Schemas."""
