"""Where analyzed sessions go: the warehouse (DuckDB, PostgreSQL), CRMs, analytics, webhooks."""
