"""How numbers read in generated tables (bench records, README sections)."""


def format_number(value: float) -> str:
    """Three decimals for ratios and small rates, fewer as values grow."""
    if abs(value) >= 1000:
        return f"{value:.0f}"
    if abs(value) >= 100:
        return f"{value:.1f}"
    return f"{value:.3f}"
