"""Small commands that belong to no single stage (schema, doctor, forget)."""
