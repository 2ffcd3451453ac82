"""Lightning-fast frame-level video anomaly detection by multi-scale adversarial distillation."""
