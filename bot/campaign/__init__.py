"""The campaign file: its values (spec), its loader (load) and its published JSON Schema."""
