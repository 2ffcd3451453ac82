"""Self-distilled masked auto-encoder for fast video anomaly detection."""
